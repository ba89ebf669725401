"""Channel and lead-source figures of a period (reporting.metrics) against hand-computed values.

The fixture (described under "The fixture" below) is small enough to do every figure by hand:
each expected value is a literal with its arithmetic in a comment, never recomputed with the SQL
under test. The helpers and expected values here (warehouse_settings, load_fixture, W46_*, ...)
are shared with tests/test_report.py and tests/test_report_browser.py."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from attribution.config import Settings, load_settings
from attribution.engine import runs
from attribution.errors import AttributionError
from attribution.registry import sources as registry
from attribution.registry.schemas import SourceUpdate
from attribution.reporting import metrics
from attribution.reporting.metrics import change, ratio
from attribution.reporting.period import Period
from attribution.reporting.rows import Figures, TrendRow
from attribution.service.pipeline import Pipeline

from .conftest import write_csv

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

MODELS = ("first_touch", "last_touch", "linear")
WEEK = "2026-W46"  # Monday 2026-11-09 to Sunday 2026-11-15
PREVIOUS = "2026-W45"  # Monday 2026-11-02 to Sunday 2026-11-08
RUN_START, RUN_END = datetime(2026, 11, 2), datetime(2026, 11, 16)

# -- The fixture -----------------------------------------------------------------------------
# Sources: Google (id 1, Paid Search) and Facebook (id 2, Paid Social) are the registry's seed;
# Newsletter (id 3, Email) and Partner Blog (id 4, Referral) are added through the registry;
# "Partner X" (id 5) is created by ingest (channel Unassigned). Partner Blog has no lead: it
# only touches L8 (a touch given by source, so on its channel, Referral). A lead's creation is
# a touch of its source's channel; L8 has no source and no UTM values: a lead of unknown
# origin, its creation is no touch and the lead counts on Unassigned, with no source.
#
# lead  created (UTC)       source      channel      conversions (won)          days to convert
# L0    10-27 12:00 (W44)   Google      Paid Search  D3 11-10 12:00  3000        14.0
# L1    11-02 10:00 (W45)   Google      Paid Search  D1 11-04 10:00  1000         2.0
# L2    11-03 09:00 (W45)   Newsletter  Email        D2 11-05 09:00   500         2.0
# L3    11-04 12:00 (W45)   Facebook    Paid Social  -
# L4    11-06 08:00 (W45)   Google      Paid Search  D4 11-09 20:00  1200         3.5
# L5    11-09 10:00 (W46)   Google      Paid Search  D5 11-10 10:00   800         1.0
# L6    11-10 00:00 (W46)   Newsletter  Email        D6 11-11 00:00   400         1.0
#                                                    D7 11-13 12:00   600         3.5
# L7    11-11 06:00 (W46)   Facebook    Paid Social  -
# L8    11-12 12:00 (W46)   (none)      Unassigned   D8 11-14 12:00   200         2.0
# L9    11-13 12:00 (W46)   Partner X   Unassigned   -
# L10   09-01 00:00         Google      Paid Search  D0 11-03 00:00    50  (no touch in its window)
# L11   08-01 00:00         Facebook    Paid Social  D9 11-12 12:00   100       103.5
# JUNK  11-10 08:00 (W46)   Google      junk         DJ 11-12 00:00   999  (left out)
# Also: a refund for L5 (not a won deal) and a deal of an unknown lead (rejected by ingest).
#
# Journeys (touches in [conversion - 30 days, conversion), lead creation included; the
# creation touches carry the lead's source, the touches given by channel carry none):
# D1 Paid Search > Organic Search          D5 Paid Search
# D2 Email                                 D6 Email > Paid Social
# D3 Paid Search > Email                   D7 Email > Paid Social > Organic Search
# D4 Paid Search > Paid Social > Email     D8 Referral (Partner Blog)
# D9 Referral (L11's creation is 103 days before)
# Left out: L0's Organic Search touch of 10-05 (too early for D3), L10's and L11's creations
# (too early): 3 touches too early; L1's Direct touch of 11-05 (after D1) and L6's Organic
# Search touch of 11-12 (after D6): 2 touches after their conversion; D0 has no journey.
#
# Spend: Google 11-03 300, Facebook 11-04 100 (W45); Google 11-09 400 and 11-12 200,
# Facebook 11-10 150, channel Email 11-11 50, channel "display" 11-13 70 (the Display group's
# spelling), channel Referral 11-10 0 (W46); Google 10-30 999 (outside the run's window).

LEADS = [
    ["L0", "2026-10-27T12:00:00Z", "Google", ""],
    ["L1", "2026-11-02T10:00:00Z", "Google", ""],
    ["L2", "2026-11-03T09:00:00Z", "Newsletter", ""],
    ["L3", "2026-11-04T12:00:00Z", "Facebook", ""],
    ["L4", "2026-11-06T08:00:00Z", "Google", ""],
    ["L5", "2026-11-09T10:00:00Z", "Google", ""],
    ["L6", "2026-11-10T00:00:00Z", "Newsletter", ""],
    ["L7", "2026-11-11T06:00:00Z", "Facebook", ""],
    ["L8", "2026-11-12T12:00:00Z", "", ""],
    ["L9", "2026-11-13T12:00:00Z", "Partner X", ""],
    ["L10", "2026-09-01T00:00:00Z", "Google", ""],
    ["L11", "2026-08-01T00:00:00Z", "Facebook", ""],
    ["JUNK", "2026-11-10T08:00:00Z", "Google", "true"],
]
TOUCHES = [
    ["L0", "2026-10-05T00:00:00Z", "Organic Search", ""],
    ["L0", "2026-11-08T09:00:00Z", "Email", ""],
    ["L1", "2026-11-03T08:00:00Z", "Organic Search", ""],
    ["L1", "2026-11-05T00:00:00Z", "Direct", ""],
    ["L3", "2026-11-06T00:00:00Z", "Organic Search", ""],
    ["L4", "2026-11-07T10:00:00Z", "Paid Social", ""],
    ["L4", "2026-11-09T08:00:00Z", "Email", ""],
    ["L6", "2026-11-10T12:00:00Z", "Paid Social", ""],
    ["L6", "2026-11-12T12:00:00Z", "Organic Search", ""],
    ["L8", "2026-11-13T09:00:00Z", "", "Partner Blog"],
    ["L11", "2026-11-01T00:00:00Z", "Referral", ""],
]
REVENUE = [
    ["D0", "L10", "2026-11-03T00:00:00Z", "50", "won"],
    ["D1", "L1", "2026-11-04T10:00:00Z", "1000", "won"],
    ["D2", "L2", "2026-11-05T09:00:00Z", "500", "won"],
    ["D3", "L0", "2026-11-10T12:00:00Z", "3000", "won"],
    ["D4", "L4", "2026-11-09T20:00:00Z", "1200", "won"],
    ["D5", "L5", "2026-11-10T10:00:00Z", "800", "won"],
    ["D6", "L6", "2026-11-11T00:00:00Z", "400", "won"],
    ["D7", "L6", "2026-11-13T12:00:00Z", "600", "won"],
    ["D8", "L8", "2026-11-14T12:00:00Z", "200", "won"],
    ["D9", "L11", "2026-11-12T12:00:00Z", "100", "won"],
    ["DJ", "JUNK", "2026-11-12T00:00:00Z", "999", "won"],
    ["RF", "L5", "2026-11-12T00:00:00Z", "-100", "refund"],
    ["DX", "NOBODY", "2026-11-12T00:00:00Z", "70", "won"],
]
SPEND = [
    ["2026-10-30", "Google", "", "999"],
    ["2026-11-03", "Google", "", "300"],
    ["2026-11-04", "Facebook", "", "100"],
    ["2026-11-09", "Google", "", "400"],
    ["2026-11-12", "Google", "", "200"],
    ["2026-11-10", "Facebook", "", "150"],
    ["2026-11-11", "", "Email", "50"],
    ["2026-11-13", "", "display", "70"],
    ["2026-11-10", "", "Referral", "0"],
]


def warehouse_settings(folder: Path) -> Settings:
    """Settings of a warehouse file in folder, from folder/config.yaml (written here)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    warehouse = {"path": str(folder / "wh.duckdb"), "threads": 2}
    config.write_text(yaml.safe_dump({"warehouse": warehouse}), encoding="utf-8")
    return load_settings(config, environ={})


def add_source(pipe: Pipeline, name: str, channel: str) -> int:
    fields, errors = SourceUpdate.parse({"name": name, "channel": channel}, creating=True)
    assert errors == {}
    return registry.ensure_source(pipe.warehouse, fields=fields)


def ingest_rows(
    pipe: Pipeline,
    folder: Path,
    *,
    leads: Sequence[Sequence[str]] = (),
    touches: Sequence[Sequence[str]] = (),
    revenue: Sequence[Sequence[str]] = (),
    spend: Sequence[Sequence[str]] = (),
) -> None:
    """Write the rows as CSV files in folder and ingest them (leads, touches, revenue, spend)."""
    files = {
        "leads": (["lead_id", "created_at", "source", "junk"], leads),
        "touches": (["lead_id", "occurred_at", "channel", "source"], touches),
        "revenue": (["event_id", "lead_id", "occurred_at", "amount", "kind"], revenue),
        "spend": (["date", "source", "channel", "amount"], spend),
    }
    for kind, (header, rows) in files.items():
        if rows:
            pipe.ingest(kind, write_csv(folder / f"{kind}.csv", header, rows))


def load_fixture(pipe: Pipeline, folder: Path) -> None:
    """The fixture described at the top of this module."""
    add_source(pipe, "Newsletter", "Email")
    add_source(pipe, "Partner Blog", "Referral")
    ingest_rows(pipe, folder, leads=LEADS, touches=TOUCHES, revenue=REVENUE, spend=SPEND)


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pipeline, int]]:
    """The fixture ingested into a fresh warehouse and one run over 2026-11-02 to 11-16."""
    folder = tmp_path_factory.mktemp("metrics")
    with Pipeline.open(warehouse_settings(folder)) as pipe:
        load_fixture(pipe, folder)
        result = runs.run(
            pipe.warehouse,
            runs.RunSpec(start=RUN_START, end=RUN_END, lookback_days=30, models=MODELS),
        )
        yield pipe, result.run_id


@pytest.fixture(scope="module")
def week(fixture_run: tuple[Pipeline, int]) -> Figures:
    pipe, run_id = fixture_run
    return metrics.figures(pipe.warehouse, run_id, Period.week(WEEK), MODELS)


@pytest.fixture(scope="module")
def previous(fixture_run: tuple[Pipeline, int]) -> Figures:
    pipe, run_id = fixture_run
    return metrics.figures(pipe.warehouse, run_id, Period.week(WEEK).previous(), MODELS)


def by(rows: Sequence[DataclassInstance], key: str) -> dict[Any, dict[str, Any]]:
    """The rows as dicts (dataclasses.asdict, nested rows too) by their `key` field."""
    return {r[key]: r for r in map(asdict, rows)}


# -- Every figure of 2026-W46 ----------------------------------------------------------------
# Conversions of the week: D3 D4 D5 D6 D7 D8 D9 (7); D0 has no journey and DJ's lead is junk.
# Lead channel: D3 D4 D5 Paid Search (L0 L4 L5), D6 D7 Email (L6), D8 Unassigned (L8, of
# unknown origin), D9 Paid Social (L11). Leads created in the week (not junk): L5 Paid Search,
# L6 Email, L7 Paid Social, L8 and L9 Unassigned.

CHANNEL_FIELDS = (
    "leads",
    "converted_leads",
    "conversion_rate",
    "conversions",
    "revenue",
    "days_to_convert_median",
    "days_to_convert_p90",
    "journeys",
    "touches_per_journey",
    "participation",
    "spend",
    "cost_per_lead",
)
SOURCE_FIELDS = (
    "source_key",
    "source_id",
    "channel",
    "leads",
    "converted_leads",
    "conversion_rate",
    "conversions",
    "revenue",
    "days_to_convert_median",
    "days_to_convert_p90",
    "spend",
    "cost_per_lead",
)
MODEL_FIELDS = ("conversions", "revenue", "average_deal_value", "cac", "roas")
EMPTY_SOURCE = (0, 0, None, 0, 0.0, None, None, None, None)  # no lead, conversion or spend
NONE5 = (0.0, 0.0, None, None, None)  # no credit, no spend
ZERO_ROAS = (0.0, 0.0, None, None, 0.0)  # no credit, some spend: ROAS 0 / spend = 0

# Values in CHANNEL_FIELDS order. Days to convert use percentile_cont (linear interpolation):
# Paid Search days 1.0 (D5), 3.5 (D4), 14.0 (D3): median 3.5; p90 at rank 0.9 * 2 = 1.8:
# 3.5 + 0.8 * (14.0 - 3.5) = 11.9. Email 1.0 (D6), 3.5 (D7): median (1 + 3.5) / 2 = 2.25,
# p90 1.0 + 0.9 * 2.5 = 3.25. Journeys and their length: D3 2, D4 3, D5 1, D6 2, D7 3, D8 1,
# D9 1; participation = journeys touching the channel / 7.
W46_CHANNELS: dict[str, tuple[Any, ...]] = {
    # spend only: 70 on "display"
    "Display": (0, 0, None, 0, 0.0, None, None, 0, None, 0.0, 70.0, None),
    # L6: D6 400 + D7 600; journeys D3 D4 D6 D7: (2+3+2+3)/4 = 2.5; spend 50, per lead 50/1
    "Email": (1, 1, 1.0, 2, 1000.0, 2.25, 3.25, 4, 2.5, 4 / 7, 50.0, 50.0),
    # journey D7 only (3 touches)
    "Organic Search": (0, 0, None, 0, 0.0, None, None, 1, 3.0, 1 / 7, None, None),
    # L0 L4 L5: 3000 + 1200 + 800; rate 3 / 1; journeys D3 D4 D5: (2+3+1)/3 = 2;
    # spend 400 + 200 = 600 (10-30's 999 is outside the run), per lead 600 / 1
    "Paid Search": (1, 3, 3.0, 3, 5000.0, 3.5, 11.9, 3, 2.0, 3 / 7, 600.0, 600.0),
    # L11 / D9 100 after 103.5 days (08-01 00:00 to 11-12 12:00); journeys D4 D6 D7:
    # (3+2+3)/3 = 8/3; spend 150, per lead 150 / 1
    "Paid Social": (1, 1, 1.0, 1, 100.0, 103.5, 103.5, 3, 8 / 3, 3 / 7, 150.0, 150.0),
    # journeys D8 D9: (1+1)/2 = 1; spend loaded as 0
    "Referral": (0, 0, None, 0, 0.0, None, None, 2, 1.0, 2 / 7, 0.0, None),
    # L8 (unknown origin: converted, D8 200 after 2 days) and L9 (Partner X, auto-created,
    # Unassigned); no journey touches Unassigned
    "Unassigned": (2, 1, 0.5, 1, 200.0, 2.0, 2.0, 0, None, 0.0, None, None),
}
# Per model: (conversions, revenue, average deal value, CAC, ROAS).
# first_touch: D3 D4 D5 -> Paid Search, D6 D7 -> Email, D8 D9 -> Referral.
# last_touch: D3 D4 -> Email, D5 -> Paid Search, D6 -> Paid Social, D7 -> Organic Search,
#             D8 D9 -> Referral.
# linear: D3 1/2 Paid Search, 1/2 Email (1500 each); D4 1/3 Paid Search, Paid Social, Email
# (400 each); D5 Paid Search; D6 1/2 Email, Paid Social (200 each); D7 1/3 Email, Paid Social,
# Organic Search (200 each); D8 Referral (200); D9 Referral (100).
W46_CHANNEL_MODELS: dict[str, dict[str, tuple[float | None, ...]]] = {
    "Display": {"first_touch": ZERO_ROAS, "last_touch": ZERO_ROAS, "linear": ZERO_ROAS},
    "Email": {
        "first_touch": (2.0, 1000.0, 500.0, 25.0, 20.0),  # 50/2, 1000/50
        "last_touch": (2.0, 4200.0, 2100.0, 25.0, 84.0),  # 3000 + 1200; 4200/50
        # 1/2 + 1/3 + 1/2 + 1/3 = 5/3; 1500 + 400 + 200 + 200; 2300 / (5/3); 50 / (5/3)
        "linear": (5 / 3, 2300.0, 1380.0, 30.0, 46.0),
    },
    "Organic Search": {
        "first_touch": NONE5,
        "last_touch": (1.0, 600.0, 600.0, None, None),
        "linear": (1 / 3, 200.0, 600.0, None, None),
    },
    "Paid Search": {
        "first_touch": (3.0, 5000.0, 5000 / 3, 200.0, 5000 / 600),  # CAC 600/3
        "last_touch": (1.0, 800.0, 800.0, 600.0, 800 / 600),
        # 1/2 + 1/3 + 1 = 11/6; 1500 + 400 + 800 = 2700; CAC 600 / (11/6); ROAS 2700/600
        "linear": (11 / 6, 2700.0, 2700 * 6 / 11, 600 * 6 / 11, 4.5),
    },
    "Paid Social": {
        "first_touch": ZERO_ROAS,
        "last_touch": (1.0, 400.0, 400.0, 150.0, 400 / 150),
        # 1/3 + 1/2 + 1/3 = 7/6; 400 + 200 + 200 = 800
        "linear": (7 / 6, 800.0, 800 * 6 / 7, 150 * 6 / 7, 800 / 150),
    },
    "Referral": {  # spend 0: CAC 0 / n = 0, ROAS n/a (no division by zero spend)
        "first_touch": (2.0, 300.0, 150.0, 0.0, None),  # D8 200 + D9 100
        "last_touch": (2.0, 300.0, 150.0, 0.0, None),
        "linear": (2.0, 300.0, 150.0, 0.0, None),
    },
    "Unassigned": {"first_touch": NONE5, "last_touch": NONE5, "linear": NONE5},
}

# Values in SOURCE_FIELDS order: the sources by name, then what has no source, per channel
# ("<channel>, source unknown"). Lead source of each conversion: D3 D4 D5 Google, D6 D7
# Newsletter, D8 none (L8, on Unassigned), D9 Facebook. Spend by source: Google 600, Facebook
# 150 (the Email, display and Referral rows name a channel only: no source's).
W46_SOURCES: dict[str, tuple[Any, ...]] = {
    # L7 created, L11 converted (D9)
    "Facebook": ("2", 2, "Paid Social", 1, 1, 1.0, 1, 100.0, 103.5, 103.5, 150.0, 150.0),
    "Google": ("1", 1, "Paid Search", 1, 3, 3.0, 3, 5000.0, 3.5, 11.9, 600.0, 600.0),
    "Newsletter": ("3", 3, "Email", 1, 1, 1.0, 2, 1000.0, 2.25, 3.25, None, None),
    # no lead: only credit (its touch is D8's only one)
    "Partner Blog": ("4", 4, "Referral", 0, 0, None, 0, 0.0, None, None, None, None),
    "Partner X": ("5", 5, "Unassigned", 1, 0, 0.0, 0, 0.0, None, None, None, None),
    # the channel-only touches' credit; no lead, no spend
    "Email, source unknown": ("unknown:Email", None, "Email", *EMPTY_SOURCE),
    "Organic Search, source unknown": (
        "unknown:Organic Search",
        None,
        "Organic Search",
        *EMPTY_SOURCE,
    ),
    "Paid Social, source unknown": ("unknown:Paid Social", None, "Paid Social", *EMPTY_SOURCE),
    "Referral, source unknown": ("unknown:Referral", None, "Referral", *EMPTY_SOURCE),
    # L8, of unknown origin: created and converted (D8, 2 days) with no source
    "Unassigned, source unknown": (
        "unknown:Unassigned",
        None,
        "Unassigned",
        *(1, 1, 1.0, 1, 200.0, 2.0, 2.0, None, None),
    ),
}
# Source credit goes to the touch's source: a lead's creation touches its source, the
# channel-only touches (Email, Paid Social, Organic Search, Referral of L11) have none and are
# credited per channel.
# first_touch: D3 D4 D5 Google, D6 D7 Newsletter, D8 Partner Blog, D9 Referral (none).
# last_touch: D3 D4 Email (none), D5 Google, D6 Paid Social (none), D7 Organic Search (none),
#             D8 Partner Blog, D9 Referral (none).
# linear: D3 1/2 Google, 1/2 Email (none) (1500 each); D4 1/3 Google, Paid Social (none), Email
# (none) (400 each); D5 Google; D6 1/2 Newsletter, Paid Social (none) (200 each); D7 1/3
# Newsletter, Paid Social (none), Organic Search (none) (200 each); D8 Partner Blog (200); D9
# Referral (none) (100).
W46_SOURCE_MODELS: dict[str, dict[str, tuple[float | None, ...]]] = {
    "Facebook": {"first_touch": ZERO_ROAS, "last_touch": ZERO_ROAS, "linear": ZERO_ROAS},
    "Google": W46_CHANNEL_MODELS["Paid Search"],  # the same touches as Paid Search's
    "Newsletter": {
        "first_touch": (2.0, 1000.0, 500.0, None, None),
        "last_touch": NONE5,
        "linear": (5 / 6, 400.0, 480.0, None, None),  # D6 1/2 (200) + D7 1/3 (200)
    },
    "Partner Blog": {m: (1.0, 200.0, 200.0, None, None) for m in MODELS},  # D8
    "Partner X": {"first_touch": NONE5, "last_touch": NONE5, "linear": NONE5},
    "Email, source unknown": {
        "first_touch": NONE5,
        "last_touch": (2.0, 4200.0, 2100.0, None, None),  # D3 3000 + D4 1200
        "linear": (5 / 6, 1900.0, 2280.0, None, None),  # 1/2 + 1/3; 1500 + 400
    },
    "Organic Search, source unknown": {
        "first_touch": NONE5,
        "last_touch": (1.0, 600.0, 600.0, None, None),  # D7
        "linear": (1 / 3, 200.0, 600.0, None, None),
    },
    "Paid Social, source unknown": {
        "first_touch": NONE5,
        "last_touch": (1.0, 400.0, 400.0, None, None),  # D6
        "linear": (7 / 6, 800.0, 800 * 6 / 7, None, None),  # 1/3 + 1/2 + 1/3; 400 + 200 + 200
    },
    "Referral, source unknown": {m: (1.0, 100.0, 100.0, None, None) for m in MODELS},  # D9
    "Unassigned, source unknown": {m: NONE5 for m in MODELS},
}


def assert_rows(
    found: Sequence[DataclassInstance],
    key: str,
    fields: Sequence[str],
    expected: dict[str, tuple[Any, ...]],
    models: dict[str, dict[str, tuple[float | None, ...]]],
) -> None:
    """Rows in the expected order, each figure (and nothing else) as expected."""
    rows = [asdict(r) for r in found]
    assert [r[key] for r in rows] == list(expected)
    for row in rows:
        name = row[key]
        want_fields = {key, "by_model", *fields} | ({"source"} if key == "source" else set())
        assert set(row) >= want_fields, name
        assert {f: row[f] for f in fields} == pytest.approx(
            dict(zip(fields, expected[name], strict=True))
        ), name
        assert list(row["by_model"]) == list(MODELS)
        for model, values in models[name].items():
            assert row["by_model"][model] == pytest.approx(
                dict(zip(MODEL_FIELDS, values, strict=True))
            ), (name, model)


def test_channel_figures_of_the_week(week: Figures) -> None:
    assert week.period == Period.week(WEEK)
    assert week.models == MODELS
    assert_rows(week.channels, "channel", CHANNEL_FIELDS, W46_CHANNELS, W46_CHANNEL_MODELS)
    assert all(set(asdict(r)) == {"channel", "by_model", *CHANNEL_FIELDS} for r in week.channels), (
        "a figure was added or dropped: add it to this test"
    )


def test_source_figures_of_the_week(week: Figures) -> None:
    assert_rows(week.sources, "source", SOURCE_FIELDS, W46_SOURCES, W46_SOURCE_MODELS)
    assert all(set(asdict(r)) == {"source", "by_model", *SOURCE_FIELDS} for r in week.sources), (
        "a figure was added or dropped: add it to this test"
    )


def test_a_source_with_only_credit_keeps_its_name_and_channel(week: Figures) -> None:
    """Partner Blog only touched D8: its row is its own; nothing is an anonymous source."""
    names = [r.source for r in week.sources]
    assert "(no source)" not in names
    unknown = [r for r in week.sources if r.source_id is None]
    assert [r.source for r in unknown] == [f"{r.channel}, source unknown" for r in unknown]
    blog = by(week.sources, "source")["Partner Blog"]
    assert (blog["source_id"], blog["channel"]) == (4, "Referral")


def test_every_model_shares_out_each_conversion_once(week: Figures) -> None:
    # 7 conversions worth 3000 + 1200 + 800 + 400 + 600 + 200 + 100 = 6300, under every model,
    # over channels and over sources alike.
    for rows in (week.channels, week.sources):
        for model in MODELS:
            assert sum(r.by_model[model].conversions for r in rows) == pytest.approx(7.0)
            assert sum(r.by_model[model].revenue for r in rows) == pytest.approx(6300.0)


def test_totals_of_the_week(week: Figures) -> None:
    assert asdict(week.totals) == pytest.approx(
        {
            "leads": 5,  # L5 L6 L7 L8 L9
            "converted_leads": 6,  # L0 L4 L5 L6 L8 L11
            "conversions": 7,  # D3..D9
            "revenue": 6300.0,
            "spend": 870.0,  # 600 + 150 + 50 + 70 + 0
            "conversion_rate": 1.2,  # 6 / 5
            "cost_per_lead": 174.0,  # 870 / 5
            "cac": 870 / 7,
            "roas": 6300 / 870,
            "average_deal_value": 900.0,  # 6300 / 7
        }
    )


def test_data_quality_of_the_week(week: Figures) -> None:
    assert asdict(week.quality) == {
        "leads": 5,
        "leads_unknown_origin": 1,  # L8: no source, no UTM values
        "leads_without_source": 1,  # L8
        "leads_unassigned": 2,  # L8 (unknown origin), L9 (Partner X, Unassigned)
        "junk_leads": 1,  # JUNK, created 11-10
        "journey_touches": 13,  # 2 + 3 + 1 + 2 + 3 + 1 + 1
        "journey_touches_unassigned": 0,
        # D3 Email, D4 Paid Social and Email, D6 Paid Social, D7 Paid Social and Organic
        # Search, D9 Referral: given by channel only
        "journey_touches_without_source": 7,
        "credit_without_source": 1.0,  # first_touch (the first model): D9's Referral touch
        "conversions_without_touches": 0,  # D0 is in W45
        # By the rows' own dates: DX (lead NOBODY unknown) is dated 11-12.
        "rejected_rows": 1,
        "revenue_without_lead": 1,
        "sources_auto_created": 1,  # Partner X, for L9 created 11-13
        # The whole run: L0's 10-05 touch, L10's and L11's creations too early for their deal;
        # L1's Direct touch after D1, L6's Organic Search touch after D6.
        "touches_too_early": 3,
        "touches_after_conversion": 2,
    }


def test_the_credit_without_a_source_is_the_primary_models(
    fixture_run: tuple[Pipeline, int],
) -> None:
    pipe, run_id = fixture_run
    # last_touch: D3 D4 Email, D6 Paid Social, D7 Organic Search, D9 Referral (all no source)
    for model, credit in (("last_touch", 5.0), ("linear", 5 / 6 + 1 / 3 + 7 / 6 + 1.0)):
        figs = metrics.figures(pipe.warehouse, run_id, Period.week(WEEK), MODELS, primary=model)
        assert figs.quality.credit_without_source == pytest.approx(credit), model
        unknown = [r for r in figs.sources if r.source_id is None]
        assert sum(r.by_model[model].conversions for r in unknown) == pytest.approx(credit)


def test_rejected_rows_count_by_their_date_or_since_the_last_report(
    fixture_run: tuple[Pipeline, int],
) -> None:
    """A period counts the rejected rows dated in it; the rows and sources loaded since the
    previous report (`since`) count too, whatever their date."""
    pipe, run_id = fixture_run
    loaded = pipe.warehouse.con.execute("SELECT min(started_at) FROM ingest_batches").fetchone()
    assert loaded is not None
    empty = Period.week("2026-W40")
    alone = metrics.figures(pipe.warehouse, run_id, empty, MODELS).quality
    assert (alone.rejected_rows, alone.sources_auto_created) == (0, 0)
    after = metrics.figures(pipe.warehouse, run_id, empty, MODELS, since=datetime(2026, 1, 1))
    assert after.quality.revenue_without_lead == 1  # DX: lead NOBODY is unknown
    assert after.quality.rejected_rows == 1  # DX is the fixture's only bad row
    assert after.quality.sources_auto_created == 1  # Partner X
    later = metrics.figures(pipe.warehouse, run_id, empty, MODELS, since=datetime(2100, 1, 1))
    assert (later.quality.rejected_rows, later.quality.sources_auto_created) == (0, 0)


def test_days_to_convert_bins(week: Figures) -> None:
    # floor of the days: D5 1.0 and D6 1.0 -> 1; D8 2.0 -> 2; D4 3.5 and D7 3.5 -> 3;
    # D3 14.0 -> 14; D9 103.5 -> the last bin, DAYS_CAP (60) and more.
    assert metrics.DAYS_CAP == 60
    assert [asdict(d) for d in week.days_to_convert] == [
        {"days": 1, "conversions": 2},
        {"days": 2, "conversions": 1},
        {"days": 3, "conversions": 2},
        {"days": 14, "conversions": 1},
        {"days": 60, "conversions": 1},
    ]


# -- 2026-W45, the previous week -------------------------------------------------------------
# Leads: L1 L4 Paid Search, L2 Email, L3 Paid Social. Conversions: D1 (L1, 1000, 2.0 days,
# journey Paid Search > Organic Search), D2 (L2, 500, 2.0 days, journey Email). Spend: Google
# 300, Facebook 100.
W45_CHANNELS: dict[str, tuple[Any, ...]] = {
    "Email": (1, 1, 1.0, 1, 500.0, 2.0, 2.0, 1, 1.0, 0.5, None, None),
    "Organic Search": (0, 0, None, 0, 0.0, None, None, 1, 2.0, 0.5, None, None),
    "Paid Search": (2, 1, 0.5, 1, 1000.0, 2.0, 2.0, 1, 2.0, 0.5, 300.0, 150.0),
    "Paid Social": (1, 0, 0.0, 0, 0.0, None, None, 0, None, 0.0, 100.0, 100.0),
}
W45_CHANNEL_MODELS: dict[str, dict[str, tuple[float | None, ...]]] = {
    "Email": {m: (1.0, 500.0, 500.0, None, None) for m in MODELS},
    "Organic Search": {
        "first_touch": NONE5,
        "last_touch": (1.0, 1000.0, 1000.0, None, None),
        "linear": (0.5, 500.0, 1000.0, None, None),
    },
    "Paid Search": {
        "first_touch": (1.0, 1000.0, 1000.0, 300.0, 1000 / 300),
        "last_touch": ZERO_ROAS,
        "linear": (0.5, 500.0, 1000.0, 600.0, 500 / 300),  # CAC 300 / 0.5
    },
    "Paid Social": {m: ZERO_ROAS for m in MODELS},
}
W45_SOURCES: dict[str, tuple[Any, ...]] = {
    "Facebook": ("2", 2, "Paid Social", 1, 0, 0.0, 0, 0.0, None, None, 100.0, 100.0),
    "Google": ("1", 1, "Paid Search", 2, 1, 0.5, 1, 1000.0, 2.0, 2.0, 300.0, 150.0),
    "Newsletter": ("3", 3, "Email", 1, 1, 1.0, 1, 500.0, 2.0, 2.0, None, None),
    # no lead, only the credit of L1's Organic Search touch
    "Organic Search, source unknown": (
        "unknown:Organic Search",
        None,
        "Organic Search",
        *EMPTY_SOURCE,
    ),
}
W45_SOURCE_MODELS: dict[str, dict[str, tuple[float | None, ...]]] = {
    "Facebook": W45_CHANNEL_MODELS["Paid Social"],
    "Google": W45_CHANNEL_MODELS["Paid Search"],
    "Newsletter": W45_CHANNEL_MODELS["Email"],
    "Organic Search, source unknown": W45_CHANNEL_MODELS["Organic Search"],
}


def test_previous_period_figures(previous: Figures) -> None:
    assert previous.period.label == PREVIOUS
    assert (previous.period.start, previous.period.end) == (RUN_START, datetime(2026, 11, 9))
    assert_rows(previous.channels, "channel", CHANNEL_FIELDS, W45_CHANNELS, W45_CHANNEL_MODELS)
    assert_rows(previous.sources, "source", SOURCE_FIELDS, W45_SOURCES, W45_SOURCE_MODELS)
    assert asdict(previous.totals) == pytest.approx(
        {
            "leads": 4,
            "converted_leads": 2,
            "conversions": 2,
            "revenue": 1500.0,
            "spend": 400.0,
            "conversion_rate": 0.5,  # 2 / 4
            "cost_per_lead": 100.0,  # 400 / 4
            "cac": 200.0,  # 400 / 2
            "roas": 3.75,  # 1500 / 400
            "average_deal_value": 750.0,
        }
    )
    assert asdict(previous.quality) == {
        "leads": 4,
        "leads_unknown_origin": 0,
        "leads_without_source": 0,
        "leads_unassigned": 0,
        "junk_leads": 0,
        "journey_touches": 3,  # D1 2 + D2 1
        "journey_touches_unassigned": 0,
        "journey_touches_without_source": 1,  # D1's Organic Search
        "credit_without_source": 0.0,  # first_touch: D1 Google, D2 Newsletter
        "conversions_without_touches": 1,  # D0: L10's creation is too early
        "rejected_rows": 0,
        "revenue_without_lead": 0,
        "sources_auto_created": 0,
        "touches_too_early": 3,  # the run's, as in W46
        "touches_after_conversion": 2,
    }
    assert [asdict(d) for d in previous.days_to_convert] == [
        {"days": 2, "conversions": 2}
    ]  # D1, D2


def test_change_against_the_previous_week(week: Figures, previous: Figures) -> None:
    now, before = week.totals, previous.totals
    assert change(now.leads, before.leads) == pytest.approx(0.25)  # (5 - 4) / 4
    assert change(now.revenue, before.revenue) == pytest.approx(3.2)  # 4800 / 1500
    assert change(now.conversions, before.conversions) == pytest.approx(2.5)  # 5 / 2
    assert change(now.spend, before.spend) == pytest.approx(1.175)  # 470 / 400
    assert change(now.cac, before.cac) == pytest.approx((870 / 7 - 200) / 200)
    ps_now = by(week.channels, "channel")["Paid Search"]
    ps_before = by(previous.channels, "channel")["Paid Search"]
    assert change(ps_now["leads"], ps_before["leads"]) == pytest.approx(-0.5)  # (1 - 2) / 2
    linear_now, linear_before = ps_now["by_model"]["linear"], ps_before["by_model"]["linear"]
    # (11/6 - 1/2) / (1/2) = 8/3; (2700 - 500) / 500 = 4.4
    assert change(linear_now["conversions"], linear_before["conversions"]) == pytest.approx(8 / 3)
    assert change(linear_now["revenue"], linear_before["revenue"]) == pytest.approx(4.4)
    # last_touch had nothing on Paid Search before: no change to show
    before_lt = ps_before["by_model"]["last_touch"]["conversions"]
    assert change(ps_now["by_model"]["last_touch"]["conversions"], before_lt) is None


@pytest.mark.parametrize(
    ("current", "before", "expected"),
    [
        (5, 4, 0.25),
        (3, 4, -0.25),
        (0, 4, -1.0),
        (1, -2, 1.5),  # (1 - -2) / |-2|
        (4, 4, 0.0),
        (4, 0, None),
        (None, 4, None),
        (4, None, None),
    ],
)
def test_change(current: float | None, before: float | None, expected: float | None) -> None:
    assert change(current, before) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(3, 4, 0.75), (0, 4, 0.0), (3, 0, None), (3, None, None), (None, 4, None), (0.0, 0.0, None)],
)
def test_ratio(numerator: float | None, denominator: float | None, expected: float | None) -> None:
    assert ratio(numerator, denominator) == expected


# -- The weekly trend --------------------------------------------------------------------------
# (week, channel, model, leads, conversions, revenue): leads repeat on each model's row; a
# channel with leads and no credit has one row with model None. Display has spend only: no row.
W1, W2 = date(2026, 11, 2), date(2026, 11, 9)
TREND = [
    (W1, "Email", "first_touch", 1, 1.0, 500.0),  # D2
    (W1, "Email", "last_touch", 1, 1.0, 500.0),
    (W1, "Email", "linear", 1, 1.0, 500.0),
    (W1, "Organic Search", "first_touch", 0, 0.0, 0.0),  # D1's second touch
    (W1, "Organic Search", "last_touch", 0, 1.0, 1000.0),
    (W1, "Organic Search", "linear", 0, 0.5, 500.0),
    (W1, "Paid Search", "first_touch", 2, 1.0, 1000.0),  # L1 L4; D1's first touch
    (W1, "Paid Search", "last_touch", 2, 0.0, 0.0),
    (W1, "Paid Search", "linear", 2, 0.5, 500.0),
    (W1, "Paid Social", None, 1, 0.0, 0.0),  # L3, no credit
    # W46: the channel credits above
    (W2, "Email", "first_touch", 1, 2.0, 1000.0),
    (W2, "Email", "last_touch", 1, 2.0, 4200.0),
    (W2, "Email", "linear", 1, 5 / 3, 2300.0),
    (W2, "Organic Search", "first_touch", 0, 0.0, 0.0),
    (W2, "Organic Search", "last_touch", 0, 1.0, 600.0),
    (W2, "Organic Search", "linear", 0, 1 / 3, 200.0),
    (W2, "Paid Search", "first_touch", 1, 3.0, 5000.0),
    (W2, "Paid Search", "last_touch", 1, 1.0, 800.0),
    (W2, "Paid Search", "linear", 1, 11 / 6, 2700.0),
    (W2, "Paid Social", "first_touch", 1, 0.0, 0.0),
    (W2, "Paid Social", "last_touch", 1, 1.0, 400.0),
    (W2, "Paid Social", "linear", 1, 7 / 6, 800.0),
    (W2, "Referral", "first_touch", 0, 2.0, 300.0),
    (W2, "Referral", "last_touch", 0, 2.0, 300.0),
    (W2, "Referral", "linear", 0, 2.0, 300.0),
    (W2, "Unassigned", None, 2, 0.0, 0.0),  # L8, L9
]
TREND_KEYS = ("week", "channel", "model", "leads", "conversions", "revenue")


def assert_trend(found: Sequence[TrendRow], expected: Sequence[tuple[Any, ...]]) -> None:
    """Rows equal to the expected tuples: keys exactly, conversions and revenue approximately."""
    rows = [asdict(r) for r in found]
    assert all(set(r) == set(TREND_KEYS) for r in rows)
    assert [tuple(r[k] for k in TREND_KEYS[:4]) for r in rows] == [t[:4] for t in expected]
    numbers = [x for r in rows for x in (r["conversions"], r["revenue"])]
    assert numbers == pytest.approx([x for t in expected for x in t[4:]])


def test_weekly_trend(fixture_run: tuple[Pipeline, int]) -> None:
    pipe, run_id = fixture_run
    assert_trend(metrics.weekly_trend(pipe.warehouse, run_id, RUN_START, RUN_END), TREND)
    one_week = metrics.weekly_trend(pipe.warehouse, run_id, datetime(2026, 11, 9), RUN_END)
    assert_trend(one_week, [t for t in TREND if t[0] == W2])


def test_disagreement_orders_channels_by_spread(week: Figures) -> None:
    rows = by(metrics.disagreement(week), "channel")
    # Paid Search: 3/7 (first), 1/7 (last), (11/6)/7 (linear): spread 2/7
    ps = rows["Paid Search"]
    assert (ps["highest_model"], ps["lowest_model"]) == ("first_touch", "last_touch")
    assert ps["spread"] == pytest.approx(2 / 7)
    assert ps["shares"] == pytest.approx(
        {"first_touch": 3 / 7, "last_touch": 1 / 7, "linear": 11 / 42}
    )
    spreads = [r.spread for r in metrics.disagreement(week)]
    assert spreads == sorted(spreads, reverse=True)
    assert rows["Display"]["spread"] == 0.0


# -- Periods ------------------------------------------------------------------------------------


def test_period_week() -> None:
    week = Period.week(" 2026-W46 ")
    assert (week.start, week.end, week.label) == (
        datetime(2026, 11, 9),
        datetime(2026, 11, 16),
        "2026-W46",
    )
    # 2026 starts on a Thursday: it has a week 53, from Monday 2026-12-28 into 2027.
    w53 = Period.week("2026-W53")
    assert (w53.start, w53.end) == (datetime(2026, 12, 28), datetime(2027, 1, 4))
    # ISO week 1 of 2026 starts in 2025
    assert Period.week("2026-W01").start == datetime(2025, 12, 29)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-W53", "week '2025-W53' does not exist; weeks run 01 to 52 or 53"),
        ("2026-W00", "does not exist"),
        ("2026-W54", "does not exist"),
        ("2026-W7", "week '2026-W7' is not an ISO week; write it as 2026-W47"),
        ("2026W47", "is not an ISO week"),
        ("2026-w47", "is not an ISO week"),
        ("", "is not an ISO week"),
        ("2026-11-09", "is not an ISO week"),
    ],
)
def test_a_bad_week_says_how_to_write_one(text: str, message: str) -> None:
    with pytest.raises(AttributionError, match=message.replace("(", r"\(")):
        Period.week(text)


def test_period_days() -> None:
    month = Period.days(date(2026, 11, 1), date(2026, 11, 30))
    assert (month.start, month.end, month.label) == (
        datetime(2026, 11, 1),
        datetime(2026, 12, 1),
        "2026-11-01 to 2026-11-30",
    )
    one = Period.days(date(2026, 11, 28), date(2026, 11, 28))
    assert one.end - one.start == datetime(2026, 1, 2) - datetime(2026, 1, 1)
    with pytest.raises(AttributionError, match=r"ends \(2026-11-01\) before it starts"):
        Period.days(date(2026, 11, 2), date(2026, 11, 1))


def test_last_complete_week() -> None:
    assert Period.last_complete_week(date(2026, 11, 28)).label == "2026-W47"  # a Saturday
    assert Period.last_complete_week(date(2026, 11, 23)).label == "2026-W47"  # Monday of W48
    assert Period.last_complete_week(date(2026, 11, 22)).label == "2026-W46"  # Sunday of W47
    assert Period.last_complete_week(date(2027, 1, 1)).label == "2026-W52"  # Friday of 2026-W53
    assert Period.last_complete_week(date(2027, 1, 4)).label == "2026-W53"  # Monday of 2027-W01
    assert Period.last_complete_week(date(2026, 1, 1)).label == "2025-W52"  # in 2026-W01


def test_previous_period() -> None:
    assert Period.week("2026-W46").previous() == Period.week("2026-W45")
    # across the year: the week before 2027-W01 is 2026-W53, and before 2026-W01 is 2025-W52
    assert Period.week("2027-W01").previous() == Period.week("2026-W53")
    assert Period.week("2026-W01").previous() == Period.week("2025-W52")
    # any other period: the same number of days just before, labelled by its days
    month = Period.days(date(2026, 11, 1), date(2026, 11, 30)).previous()
    assert (month.start, month.end, month.label) == (
        datetime(2026, 10, 2),
        datetime(2026, 11, 1),
        "2026-10-02 to 2026-10-31",
    )
    # seven days from a Wednesday are not an ISO week
    wed = Period.days(date(2026, 11, 11), date(2026, 11, 17)).previous()
    assert wed.label == "2026-11-04 to 2026-11-10"


def test_weeks_back() -> None:
    assert Period.week("2026-W46").weeks_back(1) == datetime(2026, 11, 9)
    assert Period.week("2026-W46").weeks_back(8) == datetime(2026, 9, 21)
    # a month: counted from the week of its last day (Monday 2026-11-30)
    assert Period.days(date(2026, 11, 1), date(2026, 11, 30)).weeks_back(2) == datetime(
        2026, 11, 23
    )


# -- No spend, no data -------------------------------------------------------------------------


def test_no_spend_gives_no_cac_or_roas(week: Figures) -> None:
    channels = by(week.channels, "channel")
    unassigned = channels["Unassigned"]  # no spend row at all
    assert (unassigned["spend"], unassigned["cost_per_lead"]) == (None, None)
    for model in MODELS:
        credit = unassigned["by_model"][model]
        assert (credit["cac"], credit["roas"]) == (None, None)
    referral = channels["Referral"]  # spend loaded as 0: no ROAS; CAC is 0 / 1 = 0
    assert referral["spend"] == 0.0
    assert referral["by_model"]["first_touch"]["roas"] is None
    assert referral["by_model"]["first_touch"]["cac"] == 0.0


def test_an_empty_period_gives_empty_rows_and_zeros(fixture_run: tuple[Pipeline, int]) -> None:
    pipe, run_id = fixture_run
    empty = metrics.figures(pipe.warehouse, run_id, Period.week("2026-W40"), MODELS)
    assert (empty.channels, empty.sources, empty.days_to_convert) == ([], [], [])
    assert asdict(empty.totals) == {
        "leads": 0,
        "converted_leads": 0,
        "conversions": 0,
        "revenue": 0.0,
        "spend": None,
        "conversion_rate": None,
        "cost_per_lead": None,
        "cac": None,
        "roas": None,
        "average_deal_value": None,
    }
    assert {
        k: v for k, v in asdict(empty.quality).items() if not k.startswith(("touches", "conv"))
    } == {
        "leads": 0,
        "leads_unknown_origin": 0,
        "leads_without_source": 0,
        "leads_unassigned": 0,
        "junk_leads": 0,
        "journey_touches": 0,
        "journey_touches_unassigned": 0,
        "journey_touches_without_source": 0,
        "credit_without_source": 0.0,
        "rejected_rows": 0,
        "revenue_without_lead": 0,
        "sources_auto_created": 0,
    }
    assert metrics.disagreement(empty) == []
    assert metrics.weekly_trend(pipe.warehouse, run_id, datetime(2026, 9, 28), RUN_START) == []


def test_an_empty_warehouse_gives_empty_figures(tmp_path: Path) -> None:
    with Pipeline.open(warehouse_settings(tmp_path)) as pipe:
        result = runs.run(pipe.warehouse, runs.RunSpec(start=RUN_START, end=RUN_END, models=MODELS))
        figs = metrics.figures(pipe.warehouse, result.run_id, Period.week(WEEK), MODELS)
        assert (figs.channels, figs.sources, figs.days_to_convert) == ([], [], [])
        assert figs.totals.leads == 0 and figs.totals.roas is None
        assert set(asdict(figs.quality).values()) == {0}
        assert metrics.weekly_trend(pipe.warehouse, result.run_id, RUN_START, RUN_END) == []
