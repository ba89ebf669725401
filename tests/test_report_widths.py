"""The demo's weekly report, the reports index and the emailed dashboard read true and fit every
screen: no page scrolls sideways on a phone (390 px) or cuts a table column on a desktop
(1400 px); chart labels and legends stay inside their chart and clear of each other; the trend's
ticks are the plotted ISO weeks and the days axis is numeric (real Chromium, network off,
screenshots kept). Then the same pages as documents: model names for people, thousands
separators, what ROAS and CAC divide, rate changes in points, a cost change of 0 neutral."""

from __future__ import annotations

import csv
import itertools
import json
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from attribution.config import Settings, load_settings
from attribution.models import MODELS
from attribution.reporting import charts, dashboard
from attribution.reporting.render import MODEL_LABELS, environment, model_label
from attribution.reporting.report import Report
from attribution.reporting.tables import HeadlineItem
from attribution.service.pipeline import run_demo

from .browser import BrowserPage
from .html_doc import Doc, Node, parse

AS_OF = date(2026, 11, 30)  # the demo's report: 2026-W48, the tester's week
WIDTHS = (390, 1400)
PAGES = ("report", "index", "email")
NEUTRAL = "#586174"  # the email's colour of a change that is neither good nor bad news


@dataclass(frozen=True)
class Built:
    """The demo's report and the files the browser opens: report, index, email HTML part."""

    report: Report
    pages: dict[str, Path]
    email: EmailMessage


def email_settings() -> Settings:
    return Settings.model_validate({"mail": {"sender": "attribution@reports.example.com"}})


def write_email(message: EmailMessage, folder: Path) -> Path:
    """The email's HTML part as a file, its images (by Content-ID) as files beside it."""
    html_part = message.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    html = html_part.get_content()
    folder.mkdir(parents=True, exist_ok=True)
    for part in message.walk():
        if part.get_content_type() == "image/png":
            name = str(part.get_filename())
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            (folder / name).write_bytes(data)
            html = html.replace(f"cid:{str(part['Content-ID']).strip('<>')}", name)
    path = folder / "email.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("widths")
    env = {"ATTRIBUTION_DEMO__OUTPUT_DIR": str(folder / "demo")}
    made = run_demo(load_settings(environ=env), as_of=AS_OF).report
    message = dashboard.compose(made, recipients=["ana@example.com"], settings=email_settings())
    pages = {
        "report": made.index,
        "index": made.folder.parent / "index.html",
        "email": write_email(message, folder / "email"),
    }
    return Built(made, pages, message)


def doc(path: Path) -> Doc:
    return parse(path.read_text(encoding="utf-8"))


def email_html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert isinstance(part, EmailMessage)
    text = part.get_content()
    assert isinstance(text, str)
    return text


def email_text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    text = part.get_content()
    assert isinstance(text, str)
    return text


# -- In Chromium -------------------------------------------------------------------------------

FITS = """() => {
  const out = {page: [document.documentElement.scrollWidth, window.innerWidth], cut: []};
  for (const box of document.querySelectorAll('.table-wrap, div[style*="overflow-x"]')) {
    if (box.scrollWidth > box.clientWidth + 1) {
      out.cut.push([box.querySelector('table').id, box.scrollWidth, box.clientWidth]);
    }
  }
  return out;
}"""

# Each chart's tick labels, legend and colour bar: their boxes, and the chart's.
CHART_BOXES = """id => {
  const div = document.getElementById(id);
  const box = e => { const r = e.getBoundingClientRect();
                     return [r.left, r.top, r.right, r.bottom]; };
  const all = sel => Array.from(div.querySelectorAll(sel)).filter(e => e.getBBox().width > 0);
  return {
    chart: box(div),
    ticks: all('.xaxislayer-above text, .yaxislayer-above text').map(
      e => [e.textContent, box(e)]),
    legend: all('.legend .bg').map(box),
    titles: all('.g-xtitle text, .g-ytitle text, .annotation-text, .cbtitle text').map(
      e => [e.textContent, box(e)]),
  };
}"""


def overlaps(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1


def inside(a: list[float], outer: list[float]) -> bool:
    return a[0] >= outer[0] - 1 and a[2] <= outer[2] + 1


def open_page(browser_page: BrowserPage, built: Built, name: str, width: int) -> None:
    page = browser_page.page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(built.pages[name].as_uri(), wait_until="load")
    if name == "report":
        for chart_id in built.report.manifest["charts"]:
            page.wait_for_selector(f"#{chart_id} .main-svg", timeout=10_000)
        page.wait_for_timeout(300)  # responsive charts redraw at the window's width


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_no_page_scrolls_sideways_and_no_table_cuts_a_column(
    browser_page: BrowserPage, built: Built, output_dir: Path, name: str, width: int
) -> None:
    open_page(browser_page, built, name, width)
    page = browser_page.page
    shot = output_dir / f"{name}-{width}.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fits = page.evaluate(FITS)
    scroll, window = fits["page"]
    assert scroll <= window, f"{name} is {scroll} px wide in a {window} px window"
    if width >= 1400:
        assert fits["cut"] == [], f"tables cut at {width} px: {fits['cut']}"
    if name == "email":
        widths = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.naturalWidth, i.width])"
        )
        assert len(widths) == len(built.report.manifest["charts"])
        assert all(natural > 0 and 0 < shown <= window for natural, shown in widths), widths
    browser_page.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_chart_labels_and_legends_fit_and_do_not_overlap(
    browser_page: BrowserPage, built: Built, width: int
) -> None:
    open_page(browser_page, built, "report", width)
    for chart_id in built.report.manifest["charts"]:
        boxes = browser_page.page.evaluate(CHART_BOXES, chart_id)
        chart = boxes["chart"]
        assert chart[2] <= width, f"{chart_id} is wider than the window"
        assert boxes["ticks"], f"{chart_id} has no tick labels"
        for text, tick in boxes["ticks"] + boxes["titles"]:
            assert inside(tick, chart), f"{chart_id}: {text!r} sticks out of its chart"
            for legend in boxes["legend"]:
                assert not overlaps(tick, legend), f"{chart_id}: the legend covers {text!r}"
    browser_page.assert_clean()


def weeks_of_trend(report: Report) -> list[str]:
    """The ISO weeks the trend plots: those of weekly_trend.csv to the report's week."""
    with report.files["weekly_trend"].open(encoding="utf-8", newline="") as fh:
        mondays = sorted({date.fromisoformat(r["week"]) for r in csv.DictReader(fh)})
    last_day = date.fromisoformat(report.manifest["period_end"][:10]) - timedelta(days=1)
    return charts.weeks_between(mondays[0], last_day)


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_trend_ticks_are_the_plotted_weeks(
    browser_page: BrowserPage, built: Built, width: int
) -> None:
    open_page(browser_page, built, "report", width)
    page = browser_page.page
    weeks = weeks_of_trend(built.report)
    assert weeks[-1] == built.report.manifest["label"] == "2026-W48"
    assert len(weeks) == 8  # the report's trend weeks (reports.trend_weeks)
    ticks = page.eval_on_selector_all(
        "#chart-trend .xaxislayer-above text", "ts => ts.map(t => t.textContent)"
    )
    shown = list(dict.fromkeys(ticks))  # the shared axis: only the bottom one is labelled
    assert all(re.fullmatch(r"\d{4}-W\d{2}", t) for t in shown), shown
    assert shown == weeks  # every plotted week, in order; no Sunday, no date between weeks
    plotted = page.evaluate(
        "() => document.getElementById('chart-trend').data.map(t => t.x.join(' '))"
    )
    assert set(plotted) == {" ".join(weeks)}  # every line has a point on every tick


@pytest.mark.browser
def test_days_to_convert_is_a_numeric_axis(browser_page: BrowserPage, built: Built) -> None:
    open_page(browser_page, built, "report", 1400)
    page = browser_page.page
    layout = page.evaluate(
        "() => { const a = document.getElementById('chart-days')._fullLayout.xaxis;"
        " return [a.type, a.range]; }"
    )
    assert layout[0] == "linear"
    bars = page.evaluate("() => document.getElementById('chart-days').data[0].x")
    assert bars == sorted(bars) and all(isinstance(d, int) for d in bars)
    gaps = [b for a, b in itertools.pairwise(bars) if b - a > 1]
    assert gaps  # the demo's week has days with no conversion: they show as gaps
    assert layout[1][0] < bars[0] and layout[1][1] > bars[-1]
    # the axis is drawn to scale: the space between two bars is proportional to their days
    xs = page.evaluate(
        "() => Array.from(document.querySelectorAll('#chart-days .point path'))"
        ".map(p => { const r = p.getBoundingClientRect(); return (r.left + r.right) / 2; })"
    )
    step = (xs[-1] - xs[0]) / (bars[-1] - bars[0])
    for day, x in zip(bars, xs, strict=True):
        assert x == pytest.approx(xs[0] + (day - bars[0]) * step, abs=1.5)


# -- As documents ------------------------------------------------------------------------------

CODE_NAME = re.compile(r"\b(" + "|".join(map(re.escape, MODELS)) + r")\b")
NUMBER = re.compile(r"[+-]?[\d,]+(\.\d+)?( %| pp)?")
GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})*(\.\d+)?( %| pp)?")


def visible_text(node: Node, skip: tuple[str, ...] = ()) -> str:
    """The text a reader sees: not scripts, nor code (the method note's code names), nor the
    elements with the ids in `skip`."""
    parts = []
    for child in node.children:
        if isinstance(child, str):
            parts.append(child)
        elif child.tag not in ("script", "style", "code", "title") and (
            child.attrs.get("id") not in skip
        ):
            parts.append(visible_text(child, skip))
    return " ".join(parts)


def test_every_model_has_a_name_for_people() -> None:
    assert set(MODEL_LABELS) == set(MODELS)
    assert model_label("last_non_direct") == "Last non-direct"
    assert model_label("markov") == "Markov chain"
    assert model_label("some_new_model") == "Some new model"  # never the raw code name


def test_pages_show_model_names_not_code_names(built: Built) -> None:
    report = doc(built.pages["report"])
    head = [th.text for th in report.by_id("channels").find_all("th", scope="col")]
    assert "Conversions (Markov chain)" in head and "Revenue (Markov chain)" in head
    assert report.find("li", **{"data-measure": "Conversions (markov)"}).text.startswith(
        "Conversions (Markov chain)"
    )
    for page in (report, doc(built.pages["index"]), parse(email_html(built.email))):
        body = page.find("body")
        assert CODE_NAME.findall(visible_text(body)) == []
        assert "Last non-direct" in visible_text(body)
    method = report.find("dl", class_="method").text
    assert "Markov chain (markov)" in method  # the code name kept beside it
    lookback = [dd.text for dd in report.find("dl", class_="method").find_all("dd")][1]
    assert lookback == "30 days before each conversion"  # not 30.0
    assert CODE_NAME.findall(email_text(built.email).split("Run ")[0]) == []
    figures = json.loads((built.report.folder / "charts.json").read_text(encoding="utf-8"))
    names = {
        trace["name"]
        for chart in figures
        for trace in chart["figure"]["data"]
        if trace.get("type") == "bar"
    }
    assert "Last non-direct" in names and not CODE_NAME.findall(" ".join(names))


def numbers(node: Node) -> list[str]:
    return [c.text for c in node.walk() if c.tag in ("td", "b", "div") and NUMBER.fullmatch(c.text)]


def test_numbers_have_thousands_separators(built: Built) -> None:
    report = doc(built.pages["report"])
    shown = numbers(report.find("ul", class_="headline"))
    for table in ("channels", "sources"):
        shown += numbers(report.by_id(table))
    email = parse(email_html(built.email))
    shown += numbers(email.by_id("headline")) + numbers(email.by_id("channels"))
    assert len(shown) > 200
    assert [n for n in shown if not GROUPED.fullmatch(n)] == []
    assert any("," in n for n in shown)  # the demo's leads (over 1,000) and revenue
    env = environment()
    assert (env.filters["count"](1302), env.filters["money"](544203.171)) == (
        "1,302",
        "544,203.17",
    )
    stored = (built.report.folder / "charts.json").read_text(encoding="utf-8")
    figures = {c.chart_id: c.figure for c in charts.from_json(stored)}
    assert all("%{value:,}" in t for t in figures["chart-funnel"].data[0].texttemplate)
    assert figures["chart-disagreement"].data[0].colorbar.tickformat == ".0%"
    money_axes = [
        figures["chart-revenue"].layout.yaxis.title.text,
        figures["chart-roas"].layout.yaxis.title.text,
        figures["chart-trend"].layout.annotations[2].text,
    ]
    assert money_axes == ["Revenue (USD)", "Amount (USD)", "Revenue (USD, Markov chain)"]


def headline(page: Doc) -> dict[str, tuple[str, str, str]]:
    """Label -> (value, change, class of the change) of the report's headline items."""
    out = {}
    for li in page.find("ul", class_="headline").find_all("li"):
        spans = li.find_all("span", class_="change")
        out[li.attrs["data-measure"]] = (
            li.find("b").text,
            spans[0].text if spans else "",
            spans[0].attrs["class"] if spans else "",
        )
    return out


def as_number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_note_says_what_roas_and_cac_divide(built: Built) -> None:
    page = doc(built.pages["report"])
    items = headline(page)
    note = page.by_id("headline-note").text
    revenue, spend = items["Revenue"][0], items["Spend"][0]
    with built.report.files["channel_summary"].open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["model"] == "markov"]
    conversions = sum(int(r["conversions"]) for r in rows)
    assert f"ROAS = revenue of every conversion in the period ({revenue} USD" in note
    assert f"/ spend on every channel ({spend} USD)" in note
    assert f"CAC = that spend / the period's conversions ({conversions:,})" in note
    # the note's numbers are the ones the headline divides
    assert as_number(items["ROAS"][0]) == pytest.approx(
        as_number(revenue) / as_number(spend), abs=0.005
    )
    assert as_number(items["CAC"][0]) == pytest.approx(as_number(spend) / conversions, abs=0.005)
    assert "ROAS = revenue of every conversion" in email_text(built.email)
    assert "CAC = that spend" in parse(email_html(built.email)).by_id("headline-note").text


def test_rate_changes_are_in_points(built: Built) -> None:
    manifest = built.report.manifest
    now, before = manifest["headline"], manifest["headline_previous"]
    assert before["Conversion rate"] is not None
    points = (now["Conversion rate"] - before["Conversion rate"]) * 100
    expected = f"{points:+.1f} pp"
    items = headline(doc(built.pages["report"]))
    assert items["Conversion rate"][1] == expected
    assert [label for label, (_, moved, _) in items.items() if moved.endswith(" pp")] == [
        "Conversion rate"
    ]
    relative = [moved for label, (_, moved, _) in items.items() if label != "Conversion rate"]
    assert relative and all(moved.endswith(" %") for moved in relative)
    email = parse(email_html(built.email))
    rate = email.find("div", **{"data-measure": "Conversion rate"}).text
    assert rate.endswith(f"{expected} vs 2026-W47")
    assert re.search(
        rf"Conversion rate +[\d.]+ %  {re.escape(expected)}\n", email_text(built.email)
    )


@pytest.mark.parametrize(
    ("label", "value", "previous", "text", "tone"),
    [
        ("CAC", 86.2401, 86.24, "0.0 %", "neutral"),  # shown as 0.0: no colour
        ("CAC", 86.2399, 86.24, "0.0 %", "neutral"),
        ("CAC", 90.0, 86.24, "+4.4 %", "bad"),  # a cost: a rise is bad news
        ("CAC", 80.0, 86.24, "-7.2 %", "good"),
        ("Spend", 120.0, 100.0, "+20.0 %", "neutral"),  # spend is neither
        ("Revenue", 110.0, 100.0, "+10.0 %", "good"),
        ("Revenue", 100.0, 100.0, "0.0 %", "neutral"),
    ],
)
def test_a_change_shown_as_zero_is_neutral(
    label: str, value: float, previous: float, text: str, tone: str
) -> None:
    item = HeadlineItem(label, "money", value, previous)
    template = environment().from_string(
        '{% from "report_macros.html.j2" import headline_item %}{{ headline_item(h) }}'
    )
    li = parse(template.render(h=item)).find("li")
    span = li.find("span", class_="change")
    assert (span.text, span.attrs["class"]) == (text, f"change {tone}")


def test_the_email_shows_a_zero_cost_change_as_neutral(built: Built, tmp_path: Path) -> None:
    folder = tmp_path / built.report.folder.name
    shutil.copytree(built.report.folder, folder)
    path = folder / "report.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["headline_previous"]["CAC"] = manifest["headline"]["CAC"] * 1.0004  # -0.04 %
    manifest["headline_previous"]["Cost per lead"] = manifest["headline"]["Cost per lead"] * 1.1
    path.write_text(json.dumps(manifest), encoding="utf-8")
    message = dashboard.compose(
        dashboard.open_report(folder),
        recipients=["ana@example.com"],
        settings=email_settings(),
        images={},
    )
    page = parse(email_html(message))
    cac = page.find("div", **{"data-measure": "CAC"}).find_all("div")
    cost = page.find("div", **{"data-measure": "Cost per lead"}).find_all("div")
    assert cac[-1].text.startswith("0.0 % vs")
    assert f"color:{NEUTRAL}" in cac[-1].attrs["style"]
    assert cost[-1].text.startswith("-9.1 % vs")
    assert "color:#17803d" in cost[-1].attrs["style"]  # lower cost: good news, green
