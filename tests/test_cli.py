"""The CLI: help with examples everywhere, clear errors without tracebacks, summaries printed."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from attribution.cli import main

from .conftest import write_csv

COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("command", [[], *[[c] for c in COMMANDS]])
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


def run(tmp_path: Path, *args: str) -> click.testing.Result:
    env = {"ATTRIBUTION_WAREHOUSE__PATH": str(tmp_path / "cli.duckdb")}
    return CliRunner().invoke(main, list(args), env=env)


def test_ingest_prints_the_summary_and_top_reasons(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "l.csv",
        ["lead_id", "created_at", "extra"],
        [["A", "2026-03-02", "x"], ["B", "nope", "y"], ["C", "", "z"]],
    )
    result = run(tmp_path, "ingest", "leads", str(path))
    assert result.exit_code == 0, result.output
    assert "3 rows read: 1 loaded, 0 duplicates skipped, 2 rejected" in result.output
    assert "1 x created_at is missing" in result.output
    assert "columns not used: extra" in result.output
    again = run(tmp_path, "ingest", "leads", str(path))
    assert "already loaded as batch 1; nothing new" in again.output
    listing = run(tmp_path, "batches", "--rejected", "1")
    assert "created_at is not an ISO 8601 timestamp" in listing.output


def test_a_refused_file_is_a_clear_error_without_traceback(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", ["who"], [["A"]])
    result = run(tmp_path, "ingest", "leads", str(path))
    assert result.exit_code == 1
    assert "lacks required leads column(s): lead_id, created_at" in result.output
    assert "Traceback" not in result.output


def test_a_bad_map_option_says_how_to_write_it(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", ["lead_id", "created_at"], [["A", "2026-03-02"]])
    result = run(tmp_path, "ingest", "leads", str(path), "--map", "nonsense")
    assert result.exit_code == 1
    assert "is not OLD=NEW" in result.output


def test_a_bad_config_value_stops_start_up(tmp_path: Path) -> None:
    env = {
        "ATTRIBUTION_WAREHOUSE__PATH": str(tmp_path / "c.duckdb"),
        "ATTRIBUTION_INGEST__UNKNOWN_SOURCES": "sometimes",
    }
    result = CliRunner().invoke(main, ["init"], env=env)
    assert result.exit_code == 2
    assert "ingest.unknown_sources = 'sometimes' is not allowed" in result.output
