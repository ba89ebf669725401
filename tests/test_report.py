"""The weekly report (reporting.report): its tables, headline, CSV files, report.json and
index, read back from disk and compared with figures computed by hand (tests/test_metrics.py)
and with the warehouse; hostile names, one channel, an empty week (refused, or built with a
banner), a week not over, the index's order, and the CLI."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from attribution import clock
from attribution.cli import main
from attribution.config import load_settings
from attribution.errors import EmptyPeriodError
from attribution.reporting import metrics, report
from attribution.reporting.period import Period
from attribution.reporting.report import Report, ReportSpec
from attribution.reporting.rows import Figures
from attribution.service.pipeline import Pipeline

from .html_doc import parse as parse_doc
from .test_metrics import (
    MODELS,
    NONE5,
    TREND,
    W45_CHANNEL_MODELS,
    W45_CHANNELS,
    W45_SOURCE_MODELS,
    W45_SOURCES,
    W46_CHANNEL_MODELS,
    W46_CHANNELS,
    W46_SOURCE_MODELS,
    W46_SOURCES,
    WEEK,
    add_source,
    ingest_rows,
    load_fixture,
    warehouse_settings,
)

PRIMARY = "linear"
TREND_WEEKS = 3  # the run's window: 2026-10-26 (three weeks back) to 2026-11-16
CHART_IDS = (
    "chart-conversions",
    "chart-revenue",
    "chart-trend",
    "chart-funnel",
    "chart-days",
    "chart-roas",
    "chart-disagreement",
)
HOSTILE_SOURCE = "<script>alert(1)</script>"
HOSTILE_CHANNEL = '=HYPERLINK("http://evil.example/x","click me")'
UNICODE_SOURCE = "Café Ünïcode"


def build_report(
    pipe: Pipeline,
    out: Path,
    week: str | Period = WEEK,
    models: tuple[str, ...] = MODELS,
    *,
    allow_empty: bool = False,
) -> Report:
    """The report of a week (or period) under the three fixture models, primary linear."""
    spec = ReportSpec(
        Period.week(week) if isinstance(week, str) else week,
        models=models,
        primary=PRIMARY if PRIMARY in models else models[0],
        trend_weeks=TREND_WEEKS,
    )
    return report.build(pipe.warehouse, spec, out, base_currency="USD", allow_empty=allow_empty)


def load_hostile(pipe: Pipeline, folder: Path) -> None:
    """A source whose name is a script and whose channel is a spreadsheet formula, and a source
    with accented letters; one lead each in 2026-W46, the first one converting."""
    add_source(pipe, HOSTILE_SOURCE, HOSTILE_CHANNEL)
    add_source(pipe, UNICODE_SOURCE, "Email")
    ingest_rows(
        pipe,
        folder,
        leads=[
            ["H1", "2026-11-10T00:00:00Z", HOSTILE_SOURCE, ""],
            ["H2", "2026-11-10T00:00:00Z", UNICODE_SOURCE, ""],
        ],
        revenue=[["HD", "H1", "2026-11-11T00:00:00Z", "10", "won"]],
        spend=[["2026-11-10", HOSTILE_SOURCE, "", "5"]],
    )


# -- Reading a report back -------------------------------------------------------------------


@dataclass
class Cell:
    text: str
    sort: str | None  # data-sort, the raw value ("" = none)


@dataclass
class Table:
    head: list[str]
    body: list[list[Cell]]


class ReportPage(HTMLParser):
    """The tables (by id) and the headline items (by data-measure) of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, Table] = {}
        self.headline: dict[str, tuple[str, str]] = {}
        self.links: list[str] = []
        self._table: Table | None = None
        self._section = ""
        self._cell: list[str] | None = None
        self._sort: str | None = None
        self._measure: str | None = None
        self._part = ""
        self._parts: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        at = dict(attrs)
        if tag == "table" and at.get("id"):
            self._table = self.tables[str(at["id"])] = Table([], [])
        elif self._table is not None and tag in ("thead", "tbody"):
            self._section = tag
        elif self._table is not None and tag == "tr" and self._section == "tbody":
            self._table.body.append([])
        elif self._table is not None and tag in ("td", "th"):
            self._cell, self._sort = [], at.get("data-sort")
        elif tag == "li" and "data-measure" in at:
            self._measure, self._parts = str(at["data-measure"]), {"b": [], "span": []}
        elif self._measure is not None and tag in ("b", "span"):
            self._part = tag
        elif tag == "a" and at.get("href"):
            self.links.append(str(at["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif self._table is not None and tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            if self._section == "thead":
                self._table.head.append(text)
            else:
                self._table.body[-1].append(Cell(text, self._sort))
            self._cell = None
        elif self._measure is not None and tag in ("b", "span"):
            self._part = ""
        elif tag == "li" and self._measure is not None:
            self.headline[self._measure] = (
                "".join(self._parts["b"]).strip(),
                "".join(self._parts["span"]).strip(),
            )
            self._measure = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._measure is not None and self._part:
            self._parts[self._part].append(data)


def parse(path: Path) -> ReportPage:
    page = ReportPage()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the rows of a CSV file, read as strict UTF-8."""
    text = path.read_bytes().decode("utf-8")
    rows = list(csv.reader(text.splitlines()))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def value(text: str | None) -> Any:
    """A CSV cell or data-sort attribute as a value: "" is None, numbers are floats."""
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


# -- The fixture's report ----------------------------------------------------------------------


@dataclass
class Built:
    pipe: Pipeline
    folder: Path
    out: Path
    report: Report
    page: ReportPage
    now: Figures


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    folder = tmp_path_factory.mktemp("report")
    with Pipeline.open(warehouse_settings(folder)) as pipe:
        load_fixture(pipe, folder)
        out = folder / "reports"
        made = build_report(pipe, out)
        now = metrics.figures(pipe.warehouse, made.run_id, Period.week(WEEK), MODELS)
        yield Built(pipe, folder, out, made, parse(made.index), now)


# Relative change of each channel against 2026-W45 (W45_CHANNELS): leads; and under linear,
# conversions and revenue (W45_CHANNEL_MODELS). None when W45 had nothing.
CHANNEL_CHANGES: dict[str, tuple[float | None, float | None, float | None]] = {
    "Display": (None, None, None),
    "Email": (0.0, 2 / 3, 3.6),  # 1 vs 1; 5/3 vs 1; 2300 vs 500
    "Organic Search": (None, -1 / 3, -0.6),  # 0 leads; 1/3 vs 1/2; 200 vs 500
    "Paid Search": (-0.5, 8 / 3, 4.4),  # 1 vs 2; 11/6 vs 1/2; 2700 vs 500
    "Paid Social": (0.0, None, None),  # 1 vs 1; no credit in W45
    "Referral": (None, None, None),
    "Unassigned": (None, None, None),
}
SOURCE_CHANGES: dict[str, tuple[float | None, float | None]] = {  # leads; linear revenue
    "Facebook": (0.0, None),  # 1 vs 1; 0 vs 0
    "Google": (-0.5, 4.4),  # 1 vs 2; 2700 vs 500
    "Newsletter": (0.0, -0.2),  # 1 vs 1; 400 vs 500
    "Partner Blog": (None, None),
    "Partner X": (None, None),
    "Email, source unknown": (None, None),
    "Organic Search, source unknown": (None, -0.6),  # 0 leads in W45; 200 vs 500
    "Paid Social, source unknown": (None, None),
    "Referral, source unknown": (None, None),
    "Unassigned, source unknown": (None, None),
}

CHANNEL_HEAD = [
    "Channel",
    "Leads",
    "Leads change",
    "Converted leads",
    "Conversion rate",
    "Conversions (Linear)",  # the model's name for people (code name: linear)
    "Conversions change",
    "Revenue (Linear)",
    "Revenue change",
    "Average deal value",
    "Days to convert, median",
    "Days to convert, p90",
    "Touches per journey",
    "Participation",
    "Spend",
    "Cost per lead",
    "CAC",
    "ROAS",
]
SOURCE_HEAD = [
    "Source",
    "Channel",
    "Leads",
    "Leads change",
    "Converted leads",
    "Conversion rate",
    "Conversions (Linear)",
    "Revenue (Linear)",
    "Revenue change",
    "Days to convert, median",
    "Spend",
    "Cost per lead",
    "CAC",
    "ROAS",
]


def channel_raw(channel: str) -> list[Any]:
    """The hand-computed values behind a row of #channels, in column order."""
    leads, converted, rate, _, _, median, p90, _, per_journey, share, spend, per_lead = (
        W46_CHANNELS[channel]
    )
    conv, revenue, deal, cac, roas = W46_CHANNEL_MODELS[channel][PRIMARY]
    lead_change, conv_change, revenue_change = CHANNEL_CHANGES[channel]
    return [
        channel,
        leads,
        lead_change,
        converted,
        rate,
        conv,
        conv_change,
        revenue,
        revenue_change,
        deal,
        median,
        p90,
        per_journey,
        share,
        spend,
        per_lead,
        cac,
        roas,
    ]


def source_raw(source: str) -> list[Any]:
    """The hand-computed values behind a row of #sources, in column order."""
    _, _, channel, leads, converted, rate, _, _, median, _, spend, per_lead = W46_SOURCES[source]
    conv, revenue, _, cac, roas = W46_SOURCE_MODELS[source][PRIMARY]
    lead_change, revenue_change = SOURCE_CHANGES[source]
    return [
        source,
        channel,
        leads,
        lead_change,
        converted,
        rate,
        conv,
        revenue,
        revenue_change,
        median,
        spend,
        per_lead,
        cac,
        roas,
    ]


def test_channel_table_holds_the_figures(built: Built) -> None:
    table = built.page.tables["channels"]
    assert table.head == CHANNEL_HEAD
    assert [row[0].text for row in table.body] == list(W46_CHANNELS)  # by name
    for row in table.body:
        assert [value(c.sort) for c in row] == pytest.approx(channel_raw(row[0].text))


def test_channel_cells_are_formatted_for_people(built: Built) -> None:
    rows = {row[0].text: [c.text for c in row] for row in built.page.tables["channels"].body}
    # counts, signed percent changes, percentages, numbers to .1, money to .01, ROAS to .01
    assert rows["Paid Search"] == [
        "Paid Search",
        "1",
        "-50.0 %",
        "3",
        "300.0 %",
        "1.8",  # 11/6
        "+266.7 %",  # 8/3
        "2,700.00",
        "+440.0 %",
        "1,472.73",  # 2700 / (11/6)
        "3.5",
        "11.9",
        "2.0",
        "42.9 %",  # 3/7
        "600.00",
        "600.00",
        "327.27",  # 600 / (11/6)
        "4.50",
    ]
    # no spend loaded: n/a; no previous leads: no change shown
    assert rows["Unassigned"][1:3] == ["2", ""]
    assert rows["Unassigned"][14:] == ["n/a", "n/a", "n/a", "n/a"]
    # spend loaded as 0: spend and CAC 0, ROAS n/a (docs/report.md: n/a when the divisor is 0)
    assert rows["Referral"][14:] == ["0.00", "n/a", "0.00", "n/a"]
    # spend but no credit: CAC n/a, ROAS 0
    assert rows["Display"][14:] == ["70.00", "n/a", "n/a", "0.00"]


def test_source_table_holds_the_figures(built: Built) -> None:
    table = built.page.tables["sources"]
    assert table.head == SOURCE_HEAD
    assert [row[0].text for row in table.body] == list(W46_SOURCES)  # by name
    for row in table.body:
        assert [value(c.sort) for c in row] == pytest.approx(source_raw(row[0].text))
    texts = {row[0].text: [c.text for c in row] for row in table.body}
    assert texts["Google"][:9] == [
        "Google",
        "Paid Search",
        "1",
        "-50.0 %",
        "3",
        "300.0 %",
        "1.8",
        "2,700.00",
        "+440.0 %",
    ]


def test_tables_match_the_run_figures_cell_by_cell(built: Built) -> None:
    """Every data-sort value is the figure metrics.figures gives for the report's run."""
    channels = {r["channel"]: r for r in map(asdict, built.now.channels)}
    for row in built.page.tables["channels"].body:
        fig = channels[row[0].text]
        credit = fig["by_model"][PRIMARY]
        raw = [
            fig["channel"],
            fig["leads"],
            fig["converted_leads"],
            fig["conversion_rate"],
            credit["conversions"],
            credit["revenue"],
            credit["average_deal_value"],
            fig["days_to_convert_median"],
            fig["days_to_convert_p90"],
            fig["touches_per_journey"],
            fig["participation"],
            fig["spend"],
            fig["cost_per_lead"],
            credit["cac"],
            credit["roas"],
        ]
        shown = [value(row[i].sort) for i in (0, 1, 3, 4, 5, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17)]
        assert shown == pytest.approx(raw)


def test_tables_agree_with_the_warehouse(built: Built) -> None:
    con = built.pipe.warehouse.con
    week = Period.week(WEEK)
    found = con.execute(
        "SELECT count(*) FROM leads WHERE NOT junk AND created_at >= $1 AND created_at < $2",
        [week.start, week.end],
    ).fetchone()
    won = con.execute(
        "SELECT sum(r.amount) FROM revenue_events AS r JOIN leads AS l USING (lead_id) "
        "WHERE r.kind = 'won' AND NOT l.junk AND r.occurred_at >= $1 AND r.occurred_at < $2",
        [week.start, week.end],
    ).fetchone()
    spent = con.execute(
        "SELECT sum(amount) FROM spend WHERE spend_date >= $1 AND spend_date < $2",
        [week.start.date(), week.end.date()],
    ).fetchone()
    assert found is not None and won is not None and spent is not None
    assert (found[0], float(won[0]), float(spent[0])) == (5, 6300.0, 870.0)  # as by hand
    body = built.page.tables["channels"].body
    assert sum(value(r[1].sort) for r in body) == found[0]
    assert sum(value(r[7].sort) for r in body) == pytest.approx(float(won[0]))
    assert sum(value(r[14].sort) or 0 for r in body) == pytest.approx(float(spent[0]))
    sources = built.page.tables["sources"].body
    assert sum(value(r[2].sort) for r in sources) == found[0]
    assert sum(value(r[7].sort) for r in sources) == pytest.approx(float(won[0]))


def test_headline(built: Built) -> None:
    assert built.page.headline == {
        "Leads": ("5", "+25.0 %"),  # 5 vs 4
        "Converted leads": ("6", "+200.0 %"),  # 6 vs 2
        "Conversion rate": ("120.0 %", "+70.0 pp"),  # 6/5 vs 2/4, in percentage points
        "Revenue": ("6,300.00", "+320.0 %"),  # vs 1500
        "Spend": ("870.00", "+117.5 %"),  # vs 400
        "Cost per lead": ("174.00", "+74.0 %"),  # 870/5 vs 400/4
        "CAC": ("124.29", "-37.9 %"),  # 870/7 vs 400/2
        "ROAS": ("7.24", "+93.1 %"),  # 6300/870 vs 1500/400
        "Conversions (linear)": ("7.0", "+250.0 %"),  # 7 vs 2
    }


# The figures of tests/test_metrics.py (test_data_quality_of_the_week, W45 beside it), with
# the primary model linear; this is the folder's first report, so every rejected row and
# auto-created source loaded so far counts in the week (none in W45: by date only).
QUALITY = [
    ("Leads created", "5", "4"),
    ("Leads of unknown origin (no source, no UTM values; on Unassigned)", "1", "0"),
    ("Leads without a lead source", "1", "0"),
    ("Leads on the Unassigned channel", "2", "0"),
    ("Junk leads (left out of every figure)", "1", "0"),
    ("Touches of converting journeys", "13", "3"),
    ("Touches of converting journeys on Unassigned", "0", "0"),
    ("Touches of converting journeys without a lead source", "7", "1"),
    # linear: 5/6 Email + 1/3 Organic Search + 7/6 Paid Social + 1 Referral = 10/3 of 7;
    # W45: half of D1 on its Organic Search touch
    ("Conversions credited to no lead source (Linear)", "3.3 (47.6 %)", "0.5"),
    ("Conversions with no touch in their window", "0", "1"),  # D0 is in W45
    ("Rows rejected by ingest (dated in the period, or loaded since the last report)", "1", "0"),
    ("Revenue rows refused: lead unknown", "1", "0"),  # DX
    ("Lead sources created by ingest", "1", "0"),  # Partner X
    ("Touches before the lookback window (whole run)", "3", "3"),
    ("Touches at or after their conversion (whole run)", "2", "2"),
]


def test_quality_table(built: Built) -> None:
    table = built.page.tables["quality"]
    assert table.head == ["Measure", "2026-W46", "2026-W45"]
    assert [tuple(c.text for c in row) for row in table.body] == QUALITY


# -- CSV files ---------------------------------------------------------------------------------
# The columns as docs/report.md documents them.
CHANNEL_COLUMNS = [
    "channel",
    "leads",
    "leads_previous",
    "converted_leads",
    "conversion_rate",
    "conversions",
    "revenue",
    "days_to_convert_median",
    "days_to_convert_p90",
    "touches_per_journey",
    "participation",
    "spend",
    "cost_per_lead",
    "model",
    "attributed_conversions",
    "attributed_conversions_previous",
    "attributed_revenue",
    "attributed_revenue_previous",
    "average_deal_value",
    "cac",
    "roas",
]
SOURCE_COLUMNS = [
    "source_id",
    "source",
    "channel",
    "leads",
    "leads_previous",
    "converted_leads",
    "conversion_rate",
    "conversions",
    "revenue",
    "days_to_convert_median",
    "days_to_convert_p90",
    "spend",
    "cost_per_lead",
    "model",
    "attributed_conversions",
    "attributed_revenue",
    "attributed_revenue_previous",
    "cac",
    "roas",
]
MODEL_COLUMNS = [
    "channel",
    "model",
    "conversions",
    "conversions_previous",
    "revenue",
    "revenue_previous",
    "average_deal_value",
    "cac",
    "roas",
]
TREND_COLUMNS = ["week", "channel", "model", "leads", "conversions", "revenue"]
QUALITY_COLUMNS = ["measure", "value", "previous"]


def test_csv_headers_are_the_documented_columns(built: Built) -> None:
    files = built.report.files
    assert set(files) == {
        "channel_summary",
        "source_summary",
        "model_comparison",
        "weekly_trend",
        "data_quality",
    }
    for name, columns in (
        ("channel_summary", CHANNEL_COLUMNS),
        ("source_summary", SOURCE_COLUMNS),
        ("model_comparison", MODEL_COLUMNS),
        ("weekly_trend", TREND_COLUMNS),
        ("data_quality", QUALITY_COLUMNS),
    ):
        assert files[name] == built.report.folder / f"{name}.csv"
        assert read_csv(files[name])[0] == columns, name


def test_channel_summary_csv(built: Built) -> None:
    _, rows = read_csv(built.report.files["channel_summary"])
    # one row per channel and model, channels by name, models as given
    assert [(r["channel"], r["model"]) for r in rows] == [
        (c, m) for c in W46_CHANNELS for m in MODELS
    ]
    for r in rows:
        c, m = r["channel"], r["model"]
        leads, converted, rate, conv, revenue, median, p90, _, per_journey, share, spend, cpl = (
            W46_CHANNELS[c]
        )
        credit = W46_CHANNEL_MODELS[c][m]
        before = W45_CHANNEL_MODELS.get(c, {}).get(m, NONE5)
        expected = [
            leads,
            W45_CHANNELS[c][0] if c in W45_CHANNELS else 0,
            converted,
            rate,
            conv,
            revenue,
            median,
            p90,
            per_journey,
            share,
            spend,
            cpl,
            credit[0],
            before[0],
            credit[1],
            before[1],
            credit[2],
            credit[3],
            credit[4],
        ]
        numbers = [value(r[k]) for k in CHANNEL_COLUMNS if k not in ("channel", "model")]
        assert numbers == pytest.approx(expected), (c, m)


def test_source_summary_csv(built: Built) -> None:
    _, rows = read_csv(built.report.files["source_summary"])
    assert [(r["source"], r["model"]) for r in rows] == [
        (s, m) for s in W46_SOURCES for m in MODELS
    ]
    for r in rows:
        s, m = r["source"], r["model"]
        _, source_id, channel, leads, converted, rate, conv, revenue, median, p90, spend, cpl = (
            W46_SOURCES[s]
        )
        credit = W46_SOURCE_MODELS[s][m]
        before = W45_SOURCE_MODELS.get(s, {}).get(m, NONE5)
        expected = [
            source_id,
            s,
            channel,
            leads,
            W45_SOURCES[s][3] if s in W45_SOURCES else 0,
            converted,
            rate,
            conv,
            revenue,
            median,
            p90,
            spend,
            cpl,
            m,
            credit[0],
            credit[1],
            before[1],
            credit[3],
            credit[4],
        ]
        assert [value(r[k]) for k in SOURCE_COLUMNS] == pytest.approx(expected), (s, m)


def test_model_comparison_csv(built: Built) -> None:
    _, rows = read_csv(built.report.files["model_comparison"])
    expected = []
    for c in W46_CHANNELS:
        for m in MODELS:
            conv, revenue, deal, cac, roas = W46_CHANNEL_MODELS[c][m]
            before = W45_CHANNEL_MODELS.get(c, {}).get(m, NONE5)
            expected.append([c, m, conv, before[0], revenue, before[1], deal, cac, roas])
    assert [[value(r[k]) for k in MODEL_COLUMNS] for r in rows] == [
        pytest.approx(e) for e in expected
    ]


def test_weekly_trend_csv(built: Built) -> None:
    _, rows = read_csv(built.report.files["weekly_trend"])
    # three weeks back from 2026-W46: 2026-W44 holds L0's creation only
    expected = [("2026-10-26", "Paid Search", None, 1.0, 0.0, 0.0)] + [
        (w.isoformat(), c, m, float(leads), conv, revenue)
        for w, c, m, leads, conv, revenue in TREND
    ]
    assert [
        tuple(value(r[k]) if k not in ("week", "channel") else r[k] for k in TREND_COLUMNS)
        for r in rows
    ] == [pytest.approx(e) for e in expected]


def test_data_quality_csv(built: Built) -> None:
    _, rows = read_csv(built.report.files["data_quality"])
    # as on the page, with the credit unrounded and without its share
    credit = "Conversions credited to no lead source (Linear)"
    expected = [(m, "3.3333333333", p) if m == credit else (m, v, p) for m, v, p in QUALITY]
    assert [(r["measure"], r["value"], r["previous"]) for r in rows] == expected


# -- report.json and the index -----------------------------------------------------------------


def test_report_json(built: Built) -> None:
    made = built.report
    manifest = json.loads((made.folder / "report.json").read_text(encoding="utf-8"))
    assert manifest == made.manifest
    generated = datetime.fromisoformat(manifest.pop("generated_at"))
    assert abs(generated - datetime.now(UTC).replace(tzinfo=None)).total_seconds() < 600
    input_hash = manifest.pop("input_hash")
    assert re.fullmatch(r"[0-9a-f]{64}", input_hash)
    assert manifest == {
        "label": "2026-W46",
        "period_start": "2026-11-09T00:00:00",
        "period_end": "2026-11-16T00:00:00",
        "run_id": made.run_id,
        "models": list(MODELS),
        "primary_model": "linear",
        "lookback_days": 30.0,
        "window_start": "2026-10-26T00:00:00",  # three trend weeks back from 2026-W46
        "window_end": "2026-11-16T00:00:00",
        "headline": pytest.approx(
            {
                "Leads": 5,
                "Converted leads": 6,
                "Conversion rate": 1.2,
                "Revenue": 6300.0,
                "Spend": 870.0,
                "Cost per lead": 174.0,
                "CAC": 870 / 7,
                "ROAS": 6300 / 870,
                "Conversions (linear)": 7.0,
            }
        ),
        "headline_previous": pytest.approx(  # 2026-W45
            {
                "Leads": 4,
                "Converted leads": 2,
                "Conversion rate": 0.5,
                "Revenue": 1500.0,
                "Spend": 400.0,
                "Cost per lead": 100.0,
                "CAC": 200.0,
                "ROAS": 3.75,
                "Conversions (linear)": 2.0,
            }
        ),
        "files": {name: f"{name}.csv" for name in made.files},
        "charts": {
            "chart-conversions": 3,  # a bar trace per model
            "chart-revenue": 3,
            # 3 lines (leads, conversions, revenue) for each of 7 channels: those of the trend
            # weeks and Display (spend only, in the period)
            "chart-trend": 21,
            "chart-funnel": 1,
            "chart-days": 1,
            "chart-roas": 2,  # spend, revenue
            "chart-disagreement": 1,
        },
        "intervals": None,  # ReportSpec's default: none (reports.intervals turns them on)
    }
    assert made.folder.name == f"2026-W46-run{made.run_id}"
    assert made.index == made.folder / "index.html"


def test_the_page_loads_only_files_beside_it(built: Built) -> None:
    html = built.report.index.read_text(encoding="utf-8")
    assert re.findall(r'<script src="([^"]+)"', html) == ["../plotly.min.js"]
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == ["../report.css"]
    assert "cdn" not in html.lower()
    assert (built.out / "plotly.min.js").stat().st_size > 1_000_000
    assert (built.out / "report.css").is_file()
    for chart_id in CHART_IDS:
        assert f'id="{chart_id}" class="plotly-graph-div"' in html
    csv_links = [link for link in built.page.links if link.endswith(".csv")]
    assert csv_links == [f"{name}.csv" for name in built.report.files]
    assert all((built.report.folder / link).is_file() for link in csv_links)


def index_rows(out: Path) -> list[tuple[str, str]]:
    """(period, link) of each row of the reports index, in page order."""
    table = parse(out / "index.html").tables["reports"]
    assert table.head == ["Period", "Generated (UTC)", "Run", "Models"]
    html = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)">', html)
    return [(row[0].text, link) for row, link in zip(table.body, links, strict=True)]


def test_the_index_lists_the_latest_period_first(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By the period's end, then its start, then the latest built: an older week built after a
    newer one comes after it; of two reports of one week, the one built last comes first."""
    made = []
    for second, period in enumerate(
        (
            Period.week("2026-W46"),
            Period.week("2026-W45"),  # an older week, built later
            Period.days(date(2026, 11, 2), date(2026, 11, 15)),  # ends with W46, starts before
            Period.week("2026-W45"),  # W45 again
        )
    ):
        monkeypatch.setattr(clock, "utc_now", lambda s=second: datetime(2026, 11, 28, 9, 0, s))
        made.append(build_report(built.pipe, tmp_path, period))
    w46, w45, fortnight, w45_again = made
    assert index_rows(tmp_path) == [
        ("2026-W46", f"{w46.folder.name}/index.html"),
        ("2026-11-02 to 2026-11-15", f"{fortnight.folder.name}/index.html"),
        ("2026-W45", f"{w45_again.folder.name}/index.html"),
        ("2026-W45", f"{w45.folder.name}/index.html"),
    ]
    assert [m["folder"] for m in report.list_reports(tmp_path)] == [
        r.folder.name for r in (w46, fortnight, w45_again, w45)
    ]
    assert all((tmp_path / link).is_file() for _, link in index_rows(tmp_path))


def test_reports_of_one_period_built_in_the_same_second_are_listed_latest_run_first(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "utc_now", lambda: datetime(2026, 11, 28, 9, 0, 0))
    first = build_report(built.pipe, tmp_path, "2026-W46")
    second = build_report(built.pipe, tmp_path, "2026-W46")
    assert second.run_id > first.run_id
    assert [link for _, link in index_rows(tmp_path)] == [
        f"{second.folder.name}/index.html",
        f"{first.folder.name}/index.html",
    ]


# -- Names, one channel, no data ---------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Report:
    folder = tmp_path_factory.mktemp("hostile")
    with Pipeline.open(warehouse_settings(folder)) as pipe:
        load_hostile(pipe, folder)
        return build_report(pipe, folder / "reports")


def test_names_are_escaped_in_html(hostile: Report) -> None:
    html = hostile.index.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html
    # the page's own scripts only: plotly.min.js, one per chart, the table sorter
    assert html.count("<script") == 1 + len(CHART_IDS) + 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = parse(hostile.index)
    sources = {row[0].text: row for row in page.tables["sources"].body}
    assert set(sources) == {HOSTILE_SOURCE, UNICODE_SOURCE}
    assert sources[HOSTILE_SOURCE][0].sort == HOSTILE_SOURCE  # the attribute, unescaped
    assert sources[HOSTILE_SOURCE][1].text == HOSTILE_CHANNEL
    channels = [row[0].text for row in page.tables["channels"].body]
    assert channels == [HOSTILE_CHANNEL, "Email"]  # "=" sorts before letters


def test_names_are_formula_safe_in_csv(hostile: Report) -> None:
    _, channels = read_csv(hostile.files["channel_summary"])
    assert {r["channel"] for r in channels} == {"'" + HOSTILE_CHANNEL, "Email"}
    _, sources = read_csv(hostile.files["source_summary"])
    assert {(r["source"], r["channel"]) for r in sources} == {
        (HOSTILE_SOURCE, "'" + HOSTILE_CHANNEL),  # not a formula, so as it is
        (UNICODE_SOURCE, "Email"),
    }
    _, compared = read_csv(hostile.files["model_comparison"])
    _, trend = read_csv(hostile.files["weekly_trend"])
    for rows in (compared, trend):
        assert "'" + HOSTILE_CHANNEL in {r["channel"] for r in rows}
        assert HOSTILE_CHANNEL not in {r["channel"] for r in rows}
    raw = hostile.files["source_summary"].read_bytes()
    assert UNICODE_SOURCE.encode("utf-8") in raw and not raw.startswith(b"\xef\xbb\xbf")


def test_a_single_channel_warehouse(tmp_path: Path) -> None:
    with Pipeline.open(warehouse_settings(tmp_path)) as pipe:
        add_source(pipe, "Newsletter", "Email")
        ingest_rows(
            pipe,
            tmp_path,
            leads=[["A", "2026-11-09T00:00:00Z", "Newsletter", ""]],
            touches=[["A", "2026-11-10T00:00:00Z", "Email", ""]],
            revenue=[["D", "A", "2026-11-11T12:00:00Z", "250", "won"]],
            spend=[["2026-11-09", "Newsletter", "", "100"]],
        )
        made = build_report(pipe, tmp_path / "reports")
    page = parse(made.index)
    (row,) = page.tables["channels"].body
    # every model gives Email the one conversion: 1.0, 250; ROAS 250 / 100; 2.5 days
    assert [c.text for c in row] == [
        "Email",
        "1",
        "",
        "1",
        "100.0 %",
        "1.0",
        "",
        "250.00",
        "",
        "250.00",
        "2.5",
        "2.5",
        "2.0",
        "100.0 %",
        "100.00",
        "100.00",
        "100.00",
        "2.50",
    ]
    # the Email touch names no source: under linear, half of the conversion is Email's with
    # no source
    assert [[c.text for c in r[:8]] for r in page.tables["sources"].body] == [
        ["Newsletter", "Email", "1", "", "1", "100.0 %", "0.5", "125.00"],
        ["Email, source unknown", "Email", "0", "", "0", "n/a", "0.5", "125.00"],
    ]
    assert made.manifest["charts"]["chart-disagreement"] == 1
    assert made.manifest["charts"]["chart-trend"] == 3  # one channel


def assert_no_rows(made: Report) -> None:
    page = parse(made.index)
    for table, columns in (("channels", len(CHANNEL_HEAD)), ("sources", len(SOURCE_HEAD))):
        assert [[c.text for c in row] for row in page.tables[table].body] == [
            ["No leads, conversions or spend in this period."]
        ]
        html = made.index.read_text(encoding="utf-8")
        assert f'<td colspan="{columns}">No leads' in html
    assert page.headline["Leads"] == ("0", "")
    assert page.headline["Spend"] == ("n/a", "")
    assert page.headline["ROAS"] == ("n/a", "")
    for name in ("channel_summary", "source_summary", "model_comparison"):
        assert read_csv(made.files[name])[1] == []


def banners(made: Report) -> list[str]:
    """The texts of the banners atop a report's page."""
    doc = parse_doc(made.index.read_text(encoding="utf-8"))
    return [p.text for p in doc.find_all("p", class_="banner")]


def runs_stored(pipe: Pipeline) -> int:
    row = pipe.warehouse.con.execute("SELECT count(*) FROM attribution_runs").fetchone()
    assert row is not None
    return int(row[0])


# The fixture's leads and won deals (junk left out) run from L11's creation to D8.
FIXTURE_DATA = "the warehouse has data from 2026-08-01 to 2026-11-14"


def test_an_empty_week_is_refused_before_any_run(built: Built, tmp_path: Path) -> None:
    before = runs_stored(built.pipe)
    with pytest.raises(EmptyPeriodError) as refused:
        build_report(built.pipe, tmp_path / "reports", "2026-W40")
    assert str(refused.value) == (
        f"no leads and no conversions in 2026-W40 (2026-09-28 to 2026-10-04); {FIXTURE_DATA}. "
        "Choose another week, or pass --allow-empty to build it anyway."
    )
    assert refused.value.exit_code == 4
    assert runs_stored(built.pipe) == before  # refused before the run: none stored
    assert not (tmp_path / "reports").exists()


def test_an_empty_period_of_days_is_refused_naming_it(built: Built, tmp_path: Path) -> None:
    period = Period.days(date(2026, 10, 1), date(2026, 10, 10))
    with pytest.raises(EmptyPeriodError, match="Choose another period") as refused:
        build_report(built.pipe, tmp_path, period)
    assert refused.value.problem == (
        f"no leads and no conversions in 2026-10-01 to 2026-10-10; {FIXTURE_DATA}"
    )


def test_a_period_with_only_a_conversion_is_not_empty(built: Built, tmp_path: Path) -> None:
    # 2026-11-14 (W46's Sunday) holds D8 only; no lead was created that day
    made = build_report(built.pipe, tmp_path, Period.days(date(2026, 11, 14), date(2026, 11, 14)))
    assert banners(made) == []


def test_an_empty_week_allowed_builds_a_report_with_no_rows_and_a_banner(
    built: Built, tmp_path: Path
) -> None:
    made = build_report(built.pipe, tmp_path, "2026-W40", allow_empty=True)
    assert_no_rows(made)
    assert made.manifest["headline"] == {"Leads": 0, "Converted leads": 0, "Revenue": 0.0} | {
        "Conversions (linear)": 0.0
    }
    assert banners(made) == [f"This week has no data: no leads and no conversions; {FIXTURE_DATA}."]
    assert banners(build_report(built.pipe, tmp_path, "2026-W46")) == []  # a week with data


def test_an_empty_warehouse_is_refused_or_built_with_a_banner(tmp_path: Path) -> None:
    with Pipeline.open(warehouse_settings(tmp_path)) as pipe:
        with pytest.raises(EmptyPeriodError, match="the warehouse holds no leads or conversions"):
            build_report(pipe, tmp_path / "reports")
        assert runs_stored(pipe) == 0
        made = build_report(pipe, tmp_path / "reports", allow_empty=True)
    assert_no_rows(made)
    assert read_csv(made.files["weekly_trend"])[1] == []
    assert banners(made) == [
        "This week has no data: no leads and no conversions; the warehouse holds no leads or "
        "conversions yet (load them: attribution ingest)."
    ]


def test_a_week_not_over_says_so(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "utc_now", lambda: datetime(2026, 11, 12, 10, 30, 15))
    made = build_report(built.pipe, tmp_path, "2026-W46")
    assert banners(made) == ["This week is not over: figures to 2026-11-12 10:30 UTC."]
    assert banners(build_report(built.pipe, tmp_path, "2026-W45")) == []  # over by then
    month = Period.days(date(2026, 11, 1), date(2026, 11, 30))
    assert banners(build_report(built.pipe, tmp_path, month)) == [
        "This period is not over: figures to 2026-11-12 10:30 UTC."
    ]


# -- The CLI -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config file whose warehouse holds the fixture (closed: the CLI opens it)."""
    folder = tmp_path_factory.mktemp("cli")
    with Pipeline.open(warehouse_settings(folder)) as pipe:
        load_fixture(pipe, folder)
    return folder / "config.yaml"


def test_cli_builds_the_report_and_prints_its_path(cli_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        main,
        [
            "--config",
            str(cli_config),
            "report",
            "--week",
            "2026-W46",
            "--models",
            ",".join(MODELS),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    folder = out / "2026-W46-run1"
    assert f"report 2026-W46 (run 1): {folder / 'index.html'}" in result.output
    assert f"channel_summary: {folder / 'channel_summary.csv'}" in result.output
    assert f"all reports: {out / 'index.html'}" in result.output
    assert (folder / "index.html").is_file() and (out / "index.html").is_file()
    # the primary model: config's (markov) is not among the models, so the first one
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["primary_model"] == (
        "first_touch"
    )
    assert parse(folder / "index.html").headline["Leads"] == ("5", "+25.0 %")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-W60"], "error: week '2026-W60' does not exist; weeks run 01 to 52 or 53"),
        (["--week", "2025-W53"], "error: week '2025-W53' does not exist"),
        (
            ["--week", "last week"],
            "error: week 'last week' is not an ISO week; write it as 2026-W47",
        ),
        (
            ["--week", "2026-W46", "--from", "2026-11-01", "--to", "2026-11-30"],
            "error: give either --week or --from and --to, not both",
        ),
        (["--from", "2026-11-01"], "error: --from and --to go together: give both days"),
        (
            ["--from", "2026-11-30", "--to", "2026-11-01"],
            "error: the period ends (2026-11-01) before it starts (2026-11-30)",
        ),
    ],
)
def test_cli_refuses_a_bad_period_with_a_clear_message(
    cli_config: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(
        main, ["--config", str(cli_config), "report", *args, "--out", str(tmp_path)]
    )
    # handled(): an AttributionError prints "error: ..." and exits with its exit_code (1)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert not any(tmp_path.iterdir())  # nothing written


def test_cli_refuses_an_empty_week_with_exit_code_4_and_stores_nothing(
    cli_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "utc_now", lambda: datetime(2026, 12, 5, 10, 0))
    with Pipeline.open(load_settings(cli_config, environ={})) as pipe:
        before = runs_stored(pipe)
    args = ["--config", str(cli_config), "report", "--week", "2031-W10", "--out", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 4, result.output
    assert " ".join(result.output.split()) == (
        "error: no leads and no conversions in 2031-W10 (2031-03-03 to 2031-03-09); "
        f"{FIXTURE_DATA}. Choose another week, or pass --allow-empty to build it anyway."
    )
    assert not any(tmp_path.iterdir())
    with Pipeline.open(load_settings(cli_config, environ={})) as pipe:
        assert runs_stored(pipe) == before
    allowed = CliRunner().invoke(main, [*args, "--allow-empty"])
    assert allowed.exit_code == 0, allowed.output
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert folder.name.startswith("2031-W10-run")
    page = parse_doc((folder / "index.html").read_text(encoding="utf-8"))
    assert [b.text for b in page.find_all("p", class_="banner")] == [
        f"This week has no data: no leads and no conversions; {FIXTURE_DATA}.",
        "This week is not over: figures to 2026-12-05 10:00 UTC.",  # it has not even begun
    ]


def test_cli_rejects_a_malformed_day_as_a_usage_error(cli_config: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["--config", str(cli_config), "report", "--from", "1 Nov", "--to", "2026-11-30"],
    )
    assert result.exit_code == 2  # click's own check of the option's type
    assert "Invalid value for '--from'" in result.output
    assert "Traceback" not in result.output
