"""The weekly report in headless Chromium, opened from disk with the network off: every chart
draws with the traces report.json announces, the tables sort, nothing reaches out, it prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from attribution.reporting.report import Report
from attribution.service.pipeline import Pipeline

from .browser import BrowserPage
from .test_metrics import load_fixture, warehouse_settings
from .test_report import CHART_IDS, build_report

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The fixture's report of 2026-W46."""
    folder = tmp_path_factory.mktemp("report-browser")
    with Pipeline.open(warehouse_settings(folder)) as pipe:
        load_fixture(pipe, folder)
        return build_report(pipe, folder / "reports")


def open_report(browser_page: BrowserPage, made: Report) -> None:
    browser_page.page.goto(made.index.as_uri(), wait_until="load")
    for chart_id in CHART_IDS:
        browser_page.page.wait_for_selector(
            f"#{chart_id}.plotly-graph-div .main-svg", timeout=5_000
        )


def column(browser_page: BrowserPage, table: str, index: int) -> list[str]:
    """The data-sort values of one column of a table, in page order."""
    values: list[str] = browser_page.page.eval_on_selector_all(
        f"#{table} tbody tr",
        f"rows => rows.map(r => r.cells[{index}].getAttribute('data-sort'))",
    )
    return values


def check_charts(browser_page: BrowserPage, made: Report) -> None:
    """Each chart's trace count is report.json's; the linear bars are the table's figures."""
    page = browser_page.page
    manifest = json.loads((made.folder / "report.json").read_text(encoding="utf-8"))
    drawn = {
        chart_id: page.evaluate("id => document.getElementById(id).data.length", chart_id)
        for chart_id in CHART_IDS
    }
    assert drawn == manifest["charts"]
    assert page.evaluate("() => typeof Plotly.newPlot") == "function"  # ../plotly.min.js
    assert page.locator(".plotly-graph-div .main-svg").count() >= len(CHART_IDS)
    # every bar of the linear conversions trace is the channel's credit on the page
    bars = page.evaluate(
        "() => { const t = document.getElementById('chart-conversions').data[2];"
        " return [t.name, t.meta, t.x, t.y]; }"
    )
    assert bars[:2] == ["Linear", "linear"]  # the name for people; the code name as meta
    assert bars[2] == column(browser_page, "channels", 0)
    assert bars[3] == pytest.approx([float(v) for v in column(browser_page, "channels", 5)])


def check_screenshot(browser_page: BrowserPage, shot: Path) -> None:
    browser_page.page.screenshot(path=shot, full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # seven charts and three tables, not a blank page
    assert browser_page.page.evaluate("() => document.documentElement.scrollHeight") > 3000


def check_sorting(browser_page: BrowserPage) -> None:
    """A click on a header of #channels sorts up, a second click down."""
    page = browser_page.page
    headers = page.locator("#channels thead th")
    assert headers.nth(7).inner_text().startswith("Revenue (Linear)")
    names = column(browser_page, "channels", 0)
    assert names == sorted(names)  # name order without a click

    headers.nth(7).locator("button").click()
    assert headers.nth(7).get_attribute("aria-sort") == "ascending"
    up = [float(v) for v in column(browser_page, "channels", 7)]
    assert up == sorted(up)
    names_up = column(browser_page, "channels", 0)
    assert names_up != names and names_up[-1] == "Paid Search"  # 2700, the most

    headers.nth(7).locator("button").click()
    assert headers.nth(7).get_attribute("aria-sort") == "descending"
    down = [float(v) for v in column(browser_page, "channels", 7)]
    assert down == sorted(up, reverse=True)
    names_down = column(browser_page, "channels", 0)
    assert names_down[:2] == ["Paid Search", "Email"]  # 2700, 2300

    # cells without a value (n/a) stay last either way
    headers.nth(17).locator("button").click()  # ROAS, ascending
    roas = column(browser_page, "channels", 17)
    filled = [v for v in roas if v]
    assert [float(v) for v in filled] == sorted(float(v) for v in filled)
    assert roas == filled + [""] * (len(roas) - len(filled))
    headers.nth(17).locator("button").click()
    roas = column(browser_page, "channels", 17)
    assert [float(v) for v in roas if v] == sorted((float(v) for v in filled), reverse=True)
    assert roas[len(filled) :] == [""] * (len(roas) - len(filled))
    assert headers.nth(7).get_attribute("aria-sort") is None


def check_print(browser_page: BrowserPage) -> None:
    """Print media applies the print rules of report.css, and back."""
    page = browser_page.page
    screen_size = page.evaluate("() => getComputedStyle(document.body).fontSize")
    page.emulate_media(media="print")
    assert page.evaluate("() => matchMedia('print').matches") is True
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "11px"
    assert screen_size == "15px"
    sticky = page.evaluate(
        "() => getComputedStyle(document.querySelector('#channels thead th')).position"
    )
    assert sticky == "static"
    page.emulate_media(media="screen")
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "15px"


def test_the_report_in_a_browser(browser_page: BrowserPage, made: Report, output_dir: Path) -> None:
    """One page load (plotly.js takes two seconds to start): charts, screenshot, sorting and
    printing; no page error, console error or request off the machine all along."""
    open_report(browser_page, made)
    check_charts(browser_page, made)
    check_screenshot(browser_page, output_dir / "report.png")
    check_sorting(browser_page)
    check_print(browser_page)
    assert browser_page.blocked == []
    browser_page.assert_clean()
