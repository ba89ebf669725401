"""The browser fixture itself: local pages run, remote requests are blocked, errors collected."""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import BrowserPage, is_local_url, output_dir_for

BUILDS_DOM = """<!doctype html>
<html><head><meta charset="utf-8"><title>fixture</title></head>
<body>
<script>
  const el = document.createElement("div");
  el.id = "built";
  el.dataset.channels = String(["search", "email", "social"].length);
  el.textContent = "built by script";
  document.body.appendChild(el);
</script>
</body></html>
"""

REACHES_OUT = """<!doctype html>
<html><head><meta charset="utf-8"><title>remote</title>
<script src="https://example.com/x.js"></script>
</head>
<body>
<p id="after">still rendered</p>
<script>throw new Error("boom from inline script");</script>
</body></html>
"""


@pytest.mark.browser
def test_local_page_runs_and_remote_script_is_blocked(
    browser_page: BrowserPage, tmp_path: Path, output_dir: Path
) -> None:
    page = browser_page.page

    local = tmp_path / "local.html"
    local.write_text(BUILDS_DOM, encoding="utf-8")
    page.goto(local.as_uri())
    built = page.locator("#built")
    assert built.text_content() == "built by script"
    assert built.get_attribute("data-channels") == "3"
    assert page.title() == "fixture"
    browser_page.assert_clean()

    page.screenshot(path=output_dir / "local.png")
    assert (output_dir / "local.png").stat().st_size > 0

    remote = tmp_path / "remote.html"
    remote.write_text(REACHES_OUT, encoding="utf-8")
    page.goto(remote.as_uri())
    assert page.locator("#after").text_content() == "still rendered"
    assert browser_page.blocked == ["https://example.com/x.js"]
    assert browser_page.page_errors == ["Error: boom from inline script"]
    assert any("ERR_BLOCKED_BY_CLIENT" in text for text in browser_page.console_errors), (
        browser_page.console_errors
    )
    with pytest.raises(AssertionError, match=r"example\.com/x\.js"):
        browser_page.assert_clean()


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("file:///tmp/a.html", True),
        ("data:text/plain,hi", True),
        ("blob:null/1234", True),
        ("http://127.0.0.1:8000/api", True),
        ("http://localhost:5173/", True),
        ("ws://localhost:8000/live", True),
        ("https://127.0.0.1/", False),
        ("https://example.com/x.js", False),
        ("http://localhost.example.com/", False),
        ("http://127.0.0.1.nip.io/", False),
    ],
)
def test_is_local_url(url: str, local: bool) -> None:
    assert is_local_url(url) is local


def test_output_dir_uses_env_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ATTRIBUTION_TEST_OUTPUT", raising=False)
    assert output_dir_for("test_x[a]", tmp_path) == tmp_path / "browser"

    base = tmp_path / "out"
    monkeypatch.setenv("ATTRIBUTION_TEST_OUTPUT", str(base))
    folder = output_dir_for("test_x[a/b]", tmp_path)
    assert folder == base / "test_x_a_b"
    assert folder.is_dir()
