"""The CLI: help with examples everywhere, clear errors without tracebacks, summaries printed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import duckdb
import pytest
from click.testing import CliRunner

from attribution.cli import main
from attribution.cli.app import COMMANDS as REGISTERED
from attribution.cli.app import load

from .conftest import write_csv

COMMANDS = [[name] for name in sorted(REGISTERED)] + [
    [name, sub]
    for name in sorted(REGISTERED)
    if isinstance(group := load(name), click.Group)
    for sub in sorted(group.commands)
]


@pytest.mark.parametrize("command", [[], *COMMANDS], ids=lambda c: " ".join(c) or "main")
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


def test_the_command_list_names_every_command_without_loading_them() -> None:
    """`attribution --help` lists every registered command with its short help, in a process
    that has imported none of the command modules (nor pydantic, duckdb or rich)."""
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from attribution.cli import main\n"
        "out = CliRunner().invoke(main, ['--help']).output\n"
        "heavy = [m for m in ('pydantic', 'duckdb', 'rich', 'numpy', 'attribution.config',\n"
        "         'attribution.cli.ingest', 'attribution.cli.warehouse') if m in sys.modules]\n"
        "print(repr(heavy)); print(out)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy, _, listing = done.stdout.partition("\n")
    assert heavy == "[]"
    for name, (_, _, short) in REGISTERED.items():
        assert re.search(rf"^  {name} +{re.escape(short)}$", listing, re.M), name


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_each_registered_command_loads_under_its_name(name: str) -> None:
    command = load(name)
    assert command.name == name
    assert command.help and "Example:" in command.help


def test_init_in_an_empty_folder_writes_a_starter_config_and_stays_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ATTRIBUTION_CONFIG", raising=False)
    first = CliRunner().invoke(main, ["init"], env={"ATTRIBUTION_CONFIG": None})
    assert first.exit_code == 0, first.output
    starter = tmp_path / "config.yaml"
    assert f"wrote a starter config: {starter}" in first.output
    assert starter.read_text(encoding="utf-8").startswith("# Written by `attribution init`")
    assert (tmp_path / "data" / "attribution.duckdb").is_file()
    assert "is at schema" in first.output
    again = CliRunner().invoke(main, ["init"], env={"ATTRIBUTION_CONFIG": None})
    assert again.exit_code == 0 and "starter" not in again.output  # ./config.yaml is used
    shown = CliRunner().invoke(main, ["config"], env={"ATTRIBUTION_CONFIG": None})
    assert f"config: {starter}" in shown.stderr
    assert json.loads(shown.stdout)["warehouse"]["path"] == "data/attribution.duckdb"


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


def test_sources_commands_follow_the_registry_rules(tmp_path: Path) -> None:
    added = run(tmp_path, "sources", "add", "Webinar", "--channel", "Event")
    assert added.exit_code == 0 and "Lead Source add successful: id 3" in added.output
    dup = run(tmp_path, "sources", "add", " webinar ")
    assert dup.exit_code == 1 and "A lead source named 'Webinar' already exists." in dup.output
    leads = write_csv(
        tmp_path / "l.csv", ["lead_id", "created_at", "source_id"], [["A", "2026-03-02", "3"]]
    )
    assert run(tmp_path, "ingest", "leads", str(leads)).exit_code == 0
    refused = run(tmp_path, "sources", "delete", "3")
    assert refused.exit_code == 1
    assert "The lead source is in use by 1 leads and cannot be deleted." in refused.output
    assert "attribution sources retire 3" in refused.output
    assert run(tmp_path, "sources", "retire", "3").exit_code == 0
    listed = run(tmp_path, "sources", "list", "--retired", "--json")
    assert [(s["name"], s["active"], s["lead_count"]) for s in json.loads(listed.output)] == [
        ("Webinar", False, 1)
    ]
    exported = run(tmp_path, "sources", "export")
    assert exported.output.splitlines()[0] == (
        "id,name,channel,utm_source,utm_medium,utm_campaign,active,auto_created,lead_count,"
        "created_at,updated_at"
    )
    assert len(exported.output.splitlines()) == 4


def test_tokens_are_shown_once_and_listed_without_the_secret(tmp_path: Path) -> None:
    made = run(tmp_path, "tokens", "create", "crm", "--can", "get,post")
    assert made.exit_code == 0
    secret = made.output.strip().splitlines()[-1]
    assert secret.startswith("attr_") and len(secret) > 40
    listed = run(tmp_path, "tokens", "list")
    assert "crm" in listed.output and secret not in listed.output
    bad = run(tmp_path, "tokens", "create", "x", "--can", "fly")
    assert (
        bad.exit_code == 1 and "capabilities must be some of get, post, put, delete" in bad.output
    )


def test_import_keeps_the_defaults_for_blank_cells(tmp_path: Path) -> None:
    sheet = tmp_path / "sources.csv"
    sheet.write_text("name,channel,active\nWebinar,Event,\nOld Fair,Event,0\n", encoding="utf-8")
    result = run(tmp_path, "sources", "import", str(sheet))
    assert "2 lead sources added, 0 skipped" in result.output
    listed = json.loads(run(tmp_path, "sources", "list", "--search", "e", "--json").output)
    assert {(s["name"], s["active"]) for s in listed} >= {("Webinar", True), ("Old Fair", False)}


def test_run_attributes_the_warehouse_and_stores_the_run(tmp_path: Path) -> None:
    leads = write_csv(
        tmp_path / "l.csv",
        ["lead_id", "created_at", "source"],
        [["A", "2026-03-02", "Google"], ["B", "2026-03-03", "Facebook"]],
    )
    deals = write_csv(
        tmp_path / "r.csv",
        ["event_id", "lead_id", "occurred_at", "amount"],
        [["D1", "A", "2026-03-05", "10"]],
    )
    assert run(tmp_path, "ingest", "leads", str(leads)).exit_code == 0
    assert run(tmp_path, "ingest", "revenue", str(deals)).exit_code == 0
    result = run(
        tmp_path, "run", "--as-of", "2026-03-09", "--window", "7d", "--models", "first_touch,markov"
    )
    assert result.exit_code == 0, result.output
    assert "run 1 (duckdb): conversions 2026-03-02 to 2026-03-09" in result.output
    assert "1 converting journeys, 1 non-converting" in result.output
    bad = run(tmp_path, "run", "--window", "soon")
    assert bad.exit_code == 1 and "--window 'soon' is not like 30d or 4w" in bad.output
    unknown = run(tmp_path, "run", "--models", "magic")
    assert unknown.exit_code == 1 and "unknown model(s) magic" in unknown.output


def test_run_over_an_empty_window_is_refused_unless_allowed(tmp_path: Path) -> None:
    leads = write_csv(tmp_path / "l.csv", ["lead_id", "created_at"], [["A", "2026-03-02"]])
    assert run(tmp_path, "ingest", "leads", str(leads)).exit_code == 0
    window = ["run", "--window", "2031-03-03..2031-03-09", "--models", "linear"]
    refused = run(tmp_path, *window)
    assert refused.exit_code == 4, refused.output
    assert " ".join(refused.output.split()) == (
        "error: no leads and no conversions in the window 2031-03-03 to 2031-03-09; the "
        "warehouse has data from 2026-03-02 to 2026-03-02. Choose another window, or pass "
        "--allow-empty to run it anyway."
    )
    con = duckdb.connect(str(tmp_path / "cli.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM attribution_runs").fetchone() == (0,)
    finally:
        con.close()
    allowed = run(tmp_path, *window, "--allow-empty")
    assert allowed.exit_code == 0, allowed.output
    assert "run 1 (duckdb): conversions 2031-03-03 to 2031-03-10" in allowed.output
    assert "0 converting journeys, 0 non-converting" in allowed.output
