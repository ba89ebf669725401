"""Tables in an 80-column terminal: `run`, `sql`, `batches` and `jobs history` show every header
and cell whole (wrapped, or in parts of columns with a note), never cut with "…"; `sql` rounds
floats in its table and keeps them whole in CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from rich.cells import cell_len

from attribution.cli import main
from attribution.cli.ingest import BATCH_COLUMNS
from attribution.cli.jobs import HISTORY_COLUMNS
from attribution.cli.tables import cell_text, number
from attribution.config import load_settings
from attribution.models import DEFAULT_MODELS
from attribution.reporting.render import model_label
from attribution.service.pipeline import Pipeline
from attribution.warehouse.sandbox import Sandbox

from .demo_data import AS_OF, demo_warehouse

LONG_JOB = "nightly-snapshot-of-the-whole-warehouse"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with config.yaml: the demo warehouse (a copy), its snapshot, two jobs run once
    (one with a long name, one failed with a long error)."""
    here = tmp_path_factory.mktemp("width")
    shutil.copy(demo_warehouse(tmp_path_factory), here / "live.duckdb")
    bad = here / "drop" / "leads"
    bad.mkdir(parents=True)
    (bad / "crm.csv").write_text("who,when\nA,today\n", encoding="utf-8")
    config = {
        "warehouse": {"path": "live.duckdb"},
        "snapshot": {"path": "snap/attribution.duckdb"},
        "jobs": {
            "retries": 0,
            "definitions": [
                {"name": LONG_JOB, "cron": "0 2 * * *", "steps": ["snapshot"]},
                {"name": "drop", "cron": "0 3 * * *", "steps": ["ingest"], "drop_folder": "drop"},
            ],
        },
    }
    (here / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    settings = load_settings(here / "config.yaml", environ={})
    with Pipeline.open(settings) as pipe:
        pipe.publish_snapshot()
    for job in (LONG_JOB, "drop"):
        CliRunner().invoke(main, ["--config", str(here / "config.yaml"), "jobs", "run", job])
    return here


def cli(folder: Path, *args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own in `folder` (its config.yaml), COLUMNS set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTRIBUTION_")}
    env["COLUMNS"] = str(columns)
    done = subprocess.run(
        [sys.executable, "-m", "attribution", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done


def assert_fits(text: str, width: int = 80) -> None:
    assert "…" not in text
    widest = max(cell_len(line.rstrip()) for line in text.splitlines())
    assert widest <= width, text


def words(text: str) -> set[str]:
    return set(text.split())


def numbers(text: str) -> list[str]:
    return sorted(t for t in text.split() if re.fullmatch(r"-?[\d,]+\.\d", t))


def test_run_names_every_model_in_full_and_loses_no_cell(folder: Path) -> None:
    args = ["run", "--as-of", AS_OF.isoformat(), "--window", "3w"]
    narrow = cli(folder, *args)
    wide = cli(folder, *args, columns=200)
    summary, table = narrow.stdout.split("Conversions by model", 1)
    assert_fits(narrow.stdout)  # the run's summary lines too
    assert summary.count("\n") >= 2 and " ".join(summary.split()).endswith(" s")
    labels = [model_label(m) for m in DEFAULT_MODELS]
    assert "Position-based" in labels and "Last non-direct" in labels
    assert {w for label in labels for w in label.split()} | {"channel"} <= words(table)
    assert "last_non_direct" not in narrow.stdout  # the models' names for people
    # The same cells as in one wide table (at 80 columns: in parts, channel repeated).
    wide_table = wide.stdout.split("Conversions by model", 1)[1]
    assert wide_table.count("channel") == 1 and table.count("channel") >= 2
    assert numbers(table) == numbers(wide_table) and len(numbers(table)) >= 8 * 8


def test_batches_fit_and_print_whole_as_csv_or_json(folder: Path) -> None:
    shown = cli(folder, "batches")
    assert_fits(shown.stdout)
    headers = "batch kind file read loaded updated duplicates rejected finished (UTC)"
    assert words(headers) <= words(shown.stdout)
    assert {"leads.csv", "touches.parquet", "revenue.jsonl", "spend.csv"} <= words(shown.stdout)
    assert "--format csv or json prints it whole" in shown.stderr
    as_csv = list(csv.DictReader(io.StringIO(cli(folder, "batches", "--format", "csv").stdout)))
    as_json = json.loads(cli(folder, "batches", "--format", "json").stdout)
    assert [r["file_name"] for r in as_csv] == [r["file_name"] for r in as_json]
    assert [r["file_name"] for r in as_json][-4:] == [
        "spend.csv",
        "revenue.jsonl",
        "touches.parquet",
        "leads.csv",
    ]
    assert list(as_csv[0]) == list(BATCH_COLUMNS) == list(as_json[0])
    assert int(as_csv[-1]["rows_rejected"]) == as_json[-1]["rows_rejected"] == 3
    rejected = json.loads(cli(folder, "batches", "--rejected", "1", "--format", "json").stdout)
    assert [set(r) for r in rejected] == [{"row_number", "reason", "raw_row"}] * 3


def test_jobs_history_shows_long_names_and_errors_whole(folder: Path) -> None:
    shown = cli(folder, "jobs", "history")
    assert_fits(shown.stdout)
    headers = "run job for (UTC) trigger started (UTC) ended (UTC) status error"
    assert words(headers) <= words(shown.stdout)
    assert LONG_JOB in words(shown.stdout)
    runs = list(
        csv.DictReader(io.StringIO(cli(folder, "jobs", "history", "--format", "csv").stdout))
    )
    assert list(runs[0]) == list(HISTORY_COLUMNS)
    failed = next(r for r in runs if r["job"] == "drop")
    assert failed["status"] == "failed" and len(failed["error"]) > 40
    assert words(failed["error"]) <= words(shown.stdout)  # wrapped, not cut
    done = next(r for r in runs if r["job"] == LONG_JOB)
    assert json.loads(done["outputs"])["snapshot"]["path"].endswith("attribution.duckdb")
    as_json = json.loads(cli(folder, "jobs", "history", "--format", "json").stdout)
    assert as_json == json.loads(cli(folder, "jobs", "history", "--json").stdout)
    assert [r["job"] for r in as_json] == [r["job"] for r in runs]


def test_sql_fits_in_parts_and_rounds_floats_for_reading(folder: Path) -> None:
    query = "SELECT * FROM channel_weekly_performance ORDER BY week, channel, model LIMIT 5"
    shown = cli(folder, "sql", query)
    assert_fits(shown.stdout)
    as_csv = list(csv.reader(io.StringIO(cli(folder, "sql", "--format", "csv", query).stdout)))
    assert len(as_csv[0]) >= 10 and set(as_csv[0]) <= words(shown.stdout)
    assert "to fit 80 columns: select fewer columns, or --format csv or json" in shown.stderr
    with Sandbox(folder / "snap" / "attribution.duckdb", timeout=30, max_rows=10) as box:
        rows = box.query(query).rows
    cells = words(shown.stdout)
    for value in (v for row in rows for v in row):
        expected = "NULL" if value is None else cell_text(value)
        if isinstance(value, float | Decimal):
            expected = number(value)
        assert words(expected) <= cells, (value, expected)

    noisy = "SELECT CAST('3981.0400000000004' AS DOUBLE) AS spend, 0.1::DOUBLE + 0.2 AS total"
    table = cli(folder, "sql", noisy)
    assert table.stdout.split() == [
        "spend",
        "total",
        "─" * len(table.stdout.split()[2]),
        "3981.04",
        "0.3",
    ]
    whole = cli(folder, "sql", "--format", "csv", noisy)
    assert whole.stdout.splitlines() == ["spend,total", "3981.0400000000004,0.30000000000000004"]
    assert json.loads(cli(folder, "sql", "--format", "json", noisy).stdout) == [
        {"spend": 3981.0400000000004, "total": 0.1 + 0.2}
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (3981.0400000000004, "3981.04"),
        (0.5349206349206349, "0.534921"),
        (24395.891234, "24395.89"),
        (2.0, "2.0"),
        (-3.25, "-3.25"),
        (1.5e20, "1.5e+20"),
        (0.0, "0.0"),
    ],
)
def test_floats_are_rounded_for_reading(value: float, shown: str) -> None:
    assert number(value) == shown
