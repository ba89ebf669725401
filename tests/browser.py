"""Headless Chromium for tests: Debian's build driven by Playwright, with the network off.

"Network off" means every request leaving the page is routed here: local ones (``file:``,
``data:``, ``blob:``, ``http://127.0.0.1:*``, ``http://localhost:*``) go through, anything
else is aborted and its URL recorded in ``BrowserPage.blocked``, so a test can assert that a
page needs nothing from the internet. Page errors and console errors are collected too.

The fixtures that use these helpers live in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:  # Playwright itself is imported where a browser starts (launch_chromium)
    from playwright.sync_api import (
        Browser,
        ConsoleMessage,
        Error,
        Page,
        Playwright,
        Route,
        WebSocketRoute,
    )

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT_ENV = "ATTRIBUTION_TEST_OUTPUT"
MISSING_CHROMIUM = (
    "Chromium not found (looked for `chromium` on PATH and /usr/bin/chromium): "
    "run `make setup` to install it (scripts/system-deps.sh); "
    "never `playwright install`."
)

_LOCAL_SCHEMES = frozenset({"file", "data", "blob"})
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
_ANY_URL = re.compile(".*")


@dataclass
class BrowserPage:
    """A fresh page plus what went wrong on it; all lists fill in as the page runs."""

    page: Page
    page_errors: list[str] = field(default_factory=list)
    """Uncaught exceptions in the page's scripts, as ``"Name: message"``."""
    console_errors: list[str] = field(default_factory=list)
    """Text of ``console.error`` messages (a blocked resource also logs one here)."""
    blocked: list[str] = field(default_factory=list)
    """URLs of requests and WebSockets aborted because they would leave the machine."""

    def assert_clean(self) -> None:
        """Fail if the page threw, logged an error or tried to reach the network."""
        assert (self.page_errors, self.console_errors, self.blocked) == ([], [], []), (
            f"page errors: {self.page_errors}; console errors: {self.console_errors}; "
            f"blocked requests: {self.blocked}"
        )


def find_chromium() -> str | None:
    """Path of the Chromium executable, or None when it is not installed."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.access(DEFAULT_CHROMIUM, os.X_OK):
        return DEFAULT_CHROMIUM
    return None


def launch_chromium(playwright: Playwright) -> Browser:
    """Launch headless Chromium, failing the test (not skipping) if it is missing."""
    from playwright.sync_api import Error

    executable = find_chromium()
    if executable is None:
        pytest.fail(MISSING_CHROMIUM, pytrace=False)
    try:
        return playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
    except Error as exc:
        pytest.fail(
            f"Chromium at {executable} did not start ({exc.message}); run `make setup`.",
            pytrace=False,
        )


def is_local_url(url: str) -> bool:
    """True for URLs that stay on this machine: file:, data:, blob:, http/ws to loopback."""
    parts = urlsplit(url)
    if parts.scheme in _LOCAL_SCHEMES:
        return True
    return parts.scheme in {"http", "ws"} and parts.hostname in _LOCAL_HOSTS


@contextmanager
def offline_page(browser: Browser) -> Iterator[BrowserPage]:
    """A page in its own context, network off (see module doc), closed on exit."""
    context = browser.new_context(service_workers="block")
    try:
        page = context.new_page()
        result = BrowserPage(page)

        def on_request(route: Route) -> None:
            url = route.request.url
            if is_local_url(url):
                route.continue_()
            else:
                result.blocked.append(url)
                route.abort("blockedbyclient")

        def on_websocket(ws: WebSocketRoute) -> None:
            if is_local_url(ws.url):
                ws.connect_to_server()
            else:
                result.blocked.append(ws.url)
                ws.close()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                result.console_errors.append(message.text)

        def on_page_error(error: Error) -> None:
            result.page_errors.append(f"{error.name}: {error.message}")

        context.route(_ANY_URL, on_request)
        context.route_web_socket(_ANY_URL, on_websocket)
        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        yield result
    finally:
        context.close()


def output_dir_for(test_name: str, tmp_path: Path) -> Path:
    """Folder for a test's screenshots and other artefacts, created if needed.

    ``$ATTRIBUTION_TEST_OUTPUT/<test name>/`` when that variable is set (to keep them after
    the run), else ``tmp_path / "browser"``.
    """
    base = os.environ.get(OUTPUT_ENV, "").strip()
    if base:
        safe_name = re.sub(r"[^A-Za-z0-9._-]+", "_", test_name).strip("._") or "test"
        folder = Path(base).expanduser() / safe_name
    else:
        folder = tmp_path / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
