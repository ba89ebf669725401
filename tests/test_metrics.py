"""Channel and lead-source figures of a period (attribution.metrics) against hand-computed values.

The fixture (FIXTURE below) is small enough to do every figure by hand: each expected value is a
literal with its arithmetic in a comment, never recomputed with the SQL under test. The helpers
here (make_pipeline, load_fixture, ...) are shared with tests/test_report*.py."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from attribution import metrics, registry, runs
from attribution.config import Settings, load_settings
from attribution.errors import AttributionError
from attribution.metrics import Figures, Period, change, ratio
from attribution.pipeline import Pipeline
from attribution.schemas import SourceUpdate

from .conftest import write_csv

MODELS = ("first_touch", "last_touch", "linear")
WEEK = "2026-W46"  # Monday 2026-11-09 to Sunday 2026-11-15
PREVIOUS = "2026-W45"  # Monday 2026-11-02 to Sunday 2026-11-08
RUN_START, RUN_END = datetime(2026, 11, 2), datetime(2026, 11, 16)

# -- The fixture -----------------------------------------------------------------------------
# Sources: Google (id 1, Paid Search) and Facebook (id 2, Paid Social) are the registry's seed;
# Newsletter (Email) is added through the registry; "Partner X" is created by ingest (channel
# Unassigned). A lead's creation is a touch of its source's channel; L8 has no source and no
# UTM values, so the default rules put its creation on Direct.
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
# L8    11-12 12:00 (W46)   (none)      Direct       D8 11-14 12:00   200         2.0
# L9    11-13 12:00 (W46)   Partner X   Unassigned   -
# L10   09-01 00:00         Google      Paid Search  D0 11-03 00:00    50  (no touch in its window)
# L11   08-01 00:00         Facebook    Paid Social  D9 11-12 12:00   100       103.5
# JUNK  11-10 08:00 (W46)   Google      junk         DJ 11-12 00:00   999  (left out)
# Also: a refund for L5 (not a won deal) and a deal of an unknown lead (rejected by ingest).
#
# Journeys (touches in [conversion - 30 days, conversion), lead creation included):
# D1 Paid Search > Organic Search          D5 Paid Search
# D2 Email                                 D6 Email > Paid Social
# D3 Paid Search > Email                   D7 Email > Paid Social > Organic Search
# D4 Paid Search > Paid Social > Email     D8 Direct > Referral
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
    ["L0", "2026-10-05T00:00:00Z", "Organic Search"],
    ["L0", "2026-11-08T09:00:00Z", "Email"],
    ["L1", "2026-11-03T08:00:00Z", "Organic Search"],
    ["L1", "2026-11-05T00:00:00Z", "Direct"],
    ["L3", "2026-11-06T00:00:00Z", "Organic Search"],
    ["L4", "2026-11-07T10:00:00Z", "Paid Social"],
    ["L4", "2026-11-09T08:00:00Z", "Email"],
    ["L6", "2026-11-10T12:00:00Z", "Paid Social"],
    ["L6", "2026-11-12T12:00:00Z", "Organic Search"],
    ["L8", "2026-11-13T09:00:00Z", "Referral"],
    ["L11", "2026-11-01T00:00:00Z", "Referral"],
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


def make_settings(folder: Path, name: str = "wh.duckdb") -> Settings:
    """Settings of a warehouse file in folder (the config file is written beside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text(
        yaml.safe_dump({"warehouse": {"path": str(folder / name), "threads": 2}}), encoding="utf-8"
    )
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
        "touches": (["lead_id", "occurred_at", "channel"], touches),
        "revenue": (["event_id", "lead_id", "occurred_at", "amount", "kind"], revenue),
        "spend": (["date", "source", "channel", "amount"], spend),
    }
    for kind, (header, rows) in files.items():
        if rows:
            pipe.ingest(kind, write_csv(folder / f"{kind}.csv", header, rows))


def load_fixture(pipe: Pipeline, folder: Path) -> None:
    """The fixture described at the top of this module."""
    add_source(pipe, "Newsletter", "Email")
    ingest_rows(pipe, folder, leads=LEADS, touches=TOUCHES, revenue=REVENUE, spend=SPEND)


def source_ids(pipe: Pipeline) -> dict[str, int]:
    rows = pipe.warehouse.con.execute("SELECT name, id FROM lead_sources").fetchall()
    return {str(name): int(i) for name, i in rows}


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pipeline, int]]:
    """The fixture ingested into a fresh warehouse and one run over 2026-11-02 to 11-16."""
    folder = tmp_path_factory.mktemp("metrics")
    with Pipeline.open(make_settings(folder)) as pipe:
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


def by(rows: Sequence[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in rows}
