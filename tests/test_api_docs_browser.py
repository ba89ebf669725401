"""/docs (Swagger UI, served offline by fastapi-offline) in headless Chromium against a real
`attribution serve` on 127.0.0.1: authorize with a token, try GET /api/lead_sources, see 200."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Request, expect

from attribution.config import load_settings
from attribution.registry.tokens import create_token
from attribution.service.pipeline import Pipeline

from .browser import BrowserPage
from .server import serving

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Server:
    url: str
    token: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("docs-serve")
    env = {  # no ATTRIBUTION_* of the caller's (ATTRIBUTION_TEST_OUTPUT is no setting)
        **{k: v for k, v in os.environ.items() if not k.startswith("ATTRIBUTION_")},
        "ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb"),
        "ATTRIBUTION_REPORTS__OUTPUT_DIR": str(folder / "reports"),
        "ATTRIBUTION_JOBS__RUN_IN_SERVE": "false",
    }
    with Pipeline.open(load_settings(environ=env)) as pipe:
        token, _ = create_token(pipe.warehouse, name="docs", capabilities=("get",))
    with serving(env, folder / "server.log") as served:
        yield Server(served.url, token)


def test_docs_authorize_and_try_the_list(
    browser_page: BrowserPage, server: Server, output_dir: Path
) -> None:
    page = browser_page.page
    sent: list[Request] = []

    def record(request: Request) -> None:
        sent.append(request)

    page.on("request", record)
    page.goto(server.url + "/docs")

    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    expect(dialog).to_be_visible()
    schemes = dialog.locator(".auth-container h4")
    expect(schemes).to_have_text(
        [re.compile(r"authtoken\s+\(apiKey\)"), re.compile(r"bearer\s+\(http, Bearer\)")]
    )
    header_scheme = dialog.locator(".auth-container").filter(
        has=page.locator("h4", has_text="authtoken")
    )
    header_scheme.get_by_label("Value:").fill(server.token)
    header_scheme.get_by_role("button", name="Apply credentials").click()
    expect(header_scheme.get_by_role("heading", name="Authorized")).to_be_visible()
    header_scheme.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    operation = page.locator("#operations-lead_sources-list_sources_api_lead_sources_get")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status")
    expect(status).to_have_text("200")
    expect(
        operation.locator(".live-responses-table .response .response-col_description")
    ).to_contain_text('"name": "Facebook"')
    page.screenshot(path=output_dir / "docs-try-it-out.png", full_page=True)

    calls = [r for r in sent if r.url.startswith(server.url + "/api/lead_sources")]
    assert [c.headers.get("authtoken") for c in calls] == [server.token]
    assert all(r.url.startswith(server.url) for r in sent), [r.url for r in sent]
    browser_page.assert_clean()  # nothing left 127.0.0.1 (tests/browser.py blocks the rest)
