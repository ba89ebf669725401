"""The CLI: help with examples everywhere, clear errors without tracebacks, summaries printed."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
import duckdb
import httpx
import pytest
from click.testing import CliRunner

from attribution import cli as cli_package
from attribution.cli import main
from attribution.cli.app import COMMANDS as REGISTERED
from attribution.cli.app import load
from attribution.cli.common import command_line
from attribution.errors import PortInUseError

from .conftest import write_csv
from .demo_data import demo_warehouse
from .html_doc import parse
from .server import free_port

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


def test_names_and_file_names_are_printed_with_control_characters_escaped(
    tmp_path: Path,
) -> None:
    added = run(tmp_path, "sources", "add", "Evil\x1b[31mRed", "--channel", "Bad\x9b2J[bold]")
    assert added.exit_code == 0, added.output
    listed = run(tmp_path, "sources", "list")
    assert "\x1b" not in listed.output and "\x9b" not in listed.output
    assert "Evil\\x1b[31mRed" in listed.output
    assert "Bad\\x9b2J[bold]" in listed.output  # and not read as rich markup
    leads = write_csv(
        tmp_path / "leads\x1b]0;pwned\x07.csv",
        ["lead_id", "created_at", "extra\x1b[8m"],
        [["A", "2026-03-02", "x"], ["B", "nope\x1b[2J", "y"]],
    )
    ingested = run(tmp_path, "ingest", "leads", str(leads))
    assert ingested.exit_code == 0, ingested.output
    assert "\x1b" not in ingested.output and "\x07" not in ingested.output
    assert "leads\\x1b]0;pwned\\x07.csv: batch 1" in ingested.output
    assert "columns not used: extra\\x1b[8m" in ingested.output
    shown = run(tmp_path, "batches")
    assert shown.exit_code == 0, shown.output
    assert "\x1b" not in shown.output and "\x07" not in shown.output
    assert "leads\\x1b]0;pwned\\x07" in shown.output  # ".csv" wraps at 80 columns
    rejected = run(tmp_path, "batches", "--rejected", "1")
    assert "\x1b" not in rejected.output and "nope\\u001B[2J" in rejected.output


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


def test_a_window_with_conversions_and_no_new_leads_is_run(tmp_path: Path) -> None:
    """A window whose only data is a conversion of an older lead is run; one whose only
    conversion is a junk lead's is refused as empty."""
    leads = write_csv(
        tmp_path / "l.csv",
        ["lead_id", "created_at", "junk"],
        [["A", "2026-03-02", "false"], ["J", "2026-03-02", "true"]],
    )
    deals = write_csv(
        tmp_path / "d.csv",
        ["event_id", "lead_id", "occurred_at", "amount"],
        [["D1", "A", "2026-03-12", "10"], ["D2", "J", "2026-03-20", "10"]],
    )
    assert run(tmp_path, "ingest", "leads", str(leads)).exit_code == 0
    assert run(tmp_path, "ingest", "revenue", str(deals)).exit_code == 0
    ran = run(tmp_path, "run", "--window", "2026-03-10..2026-03-16", "--models", "linear")
    assert ran.exit_code == 0, ran.output
    # A has no touch (no source, no UTM values): its conversion is counted as one without.
    assert "1 conversions with no touch in their window" in " ".join(ran.output.split())
    junk = run(tmp_path, "run", "--window", "2026-03-17..2026-03-23", "--models", "linear")
    assert junk.exit_code == 4, junk.output
    assert "no leads and no conversions in the window 2026-03-17 to 2026-03-23" in junk.output


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without ATTRIBUTION_* variables, `attribution` off PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTRIBUTION_")}
    return {**env, "PATH": "/usr/bin:/bin", **extra}


def test_the_demo_hints_run_as_printed_in_a_shell(tmp_path: Path) -> None:
    """The demo, run as `.venv/bin/attribution` with no `attribution` on PATH, prints hints
    that show the demo's rejected rows and batches when pasted into a shell in that folder."""
    script = tmp_path / ".venv" / "bin" / "attribution"
    script.parent.mkdir(parents=True)
    script.write_text(f"#!{sys.executable}\nfrom attribution.cli import main\nmain()\n")
    script.chmod(0o755)
    env = clean_env(ATTRIBUTION_DEMO__LEADS="1500", ATTRIBUTION_DEMO__WEEKS="4")
    demo = subprocess.run(
        [".venv/bin/attribution", "demo", "--as-of", "2026-11-23"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    hints = re.findall(r"^ +see them: (.+)$", demo.stdout, re.M)
    prefix = "ATTRIBUTION_WAREHOUSE__PATH=data/demo/attribution.duckdb .venv/bin/attribution"
    assert hints == [f"{prefix} batches --rejected {n}" for n in (1, 2, 3, 4)]
    assert f"Explore it:  {prefix} batches\n" in demo.stdout

    def pasted(line: str) -> str:
        done = subprocess.run(
            ["bash", "-c", line], capture_output=True, text=True, env=env, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    rows = pasted(hints[2])
    assert "no rejected rows" not in rows
    assert "row 64: occurred_at is not an ISO 8601 timestamp" in rows
    assert "currency has no rate to the base currency" in rows
    listed = pasted(f"{prefix} batches")
    assert {"leads.csv", "touches.parquet", "revenue.jsonl", "spend.csv"} <= set(listed.split())
    assert not (tmp_path / "data" / "attribution.duckdb").exists()  # no stray warehouse
    # Served as printed, the admin page links the demo's report.
    reports = "ATTRIBUTION_REPORTS__OUTPUT_DIR=data/demo/reports"
    serve = f"ATTRIBUTION_WAREHOUSE__PATH=data/demo/attribution.duckdb {reports} "
    assert f"Serve it:    {serve}.venv/bin/attribution serve\n" in demo.stdout
    token = pasted(f"{prefix} tokens create demo-admin").strip().splitlines()[-1]
    week = re.search(r"^Report: .*\(week (\S+), run", demo.stdout, re.M)
    assert week is not None
    assert admin_report_link(tmp_path, env, f"{serve}.venv/bin/attribution serve", token) == (
        f"Latest weekly report ({week[1]})"
    )


def admin_report_link(folder: Path, env: dict[str, str], serve: str, token: str) -> str:
    """The text of the admin header's report link, with `serve` run in a shell in `folder`."""
    port = free_port()
    with (folder / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            ["bash", "-c", f"{serve} --port {port}"],
            env=env,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped whole below
        )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=10) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    form = parse(client.get("/admin/sign-in").text).form("/admin/sign-in")
                    break
                except httpx.TransportError:
                    assert server.poll() is None, (folder / "serve.log").read_text()
                    assert time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.2)
            data = {"token": token, "csrf_token": form["csrf_token"], "next": "/admin"}
            client.post("/admin/sign-in", data=data)
            page = parse(client.get("/admin/leads/sources").text)
            link = page.by_id("latest-report")
            assert client.get(link.attrs["href"]).status_code == 200
            return link.text
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_hints_name_the_config_file_and_the_python_that_ran(tmp_path: Path) -> None:
    """Run as `python -m attribution --config sub/conf.yaml`: the hint keeps both, and the
    warehouse comes from that config, so no variable is added."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "conf.yaml").write_text("warehouse:\n  path: wh.duckdb\n", encoding="utf-8")
    rows = [["A", "2026-03-02"], ["B", "soon"]]
    assert write_csv(tmp_path / "l.csv", ["lead_id", "created_at"], rows).is_file()
    python = [sys.executable, "-m", "attribution"]
    done = subprocess.run(
        [*python, "--config", "sub/conf.yaml", "ingest", "leads", "l.csv"],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (sub / "wh.duckdb").is_file()
    hint = re.findall(r"see them: (.+)$", done.stdout, re.M)
    assert hint == [f"{sys.executable} -m attribution --config sub/conf.yaml batches --rejected 1"]
    shown = subprocess.run(
        ["bash", "-c", hint[0]], capture_output=True, text=True, env=clean_env(), cwd=tmp_path
    )
    assert "row 2: created_at is not an ISO 8601 timestamp" in shown.stdout, shown.stderr


def hint_in(
    folder: Path, monkeypatch: pytest.MonkeyPatch, argv0: str, on_path: str | None, **kw: Any
) -> str:
    """command_line(ctx, "batches") as seen from a process started as argv0 in folder."""
    monkeypatch.chdir(folder)
    monkeypatch.setattr(sys, "argv", [argv0])
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: on_path)
    ctx = click.Context(main, obj={"config": kw.pop("config", None)})
    return command_line(ctx, "batches", **kw)


def test_command_line_says_how_to_run_this_command_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("ATTRIBUTION_"):
            monkeypatch.delenv(name)
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    script = here / "env" / "bin" / "attribution"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    other = elsewhere / "attribution"
    elsewhere.mkdir()
    other.write_text("#!/bin/sh\n")
    argv0 = str(script)
    assert hint_in(here, monkeypatch, argv0, str(script)) == "attribution batches"
    assert hint_in(here, monkeypatch, argv0, None) == "env/bin/attribution batches"
    assert hint_in(here, monkeypatch, argv0, str(other)) == "env/bin/attribution batches"
    assert hint_in(script.parent, monkeypatch, "attribution", None) == "./attribution batches"
    assert hint_in(elsewhere, monkeypatch, argv0, None) == f"{script} batches"
    as_module = str(Path(cli_package.__file__).parent.parent / "__main__.py")
    python = hint_in(here, monkeypatch, as_module, None)
    assert python == f"{sys.executable} -m attribution batches"
    # The demo's own warehouse: relative to here, where the built-in defaults start.
    demo = hint_in(here, monkeypatch, argv0, None, warehouse=here / "d" / "a.duckdb")
    assert demo == "ATTRIBUTION_WAREHOUSE__PATH=d/a.duckdb env/bin/attribution batches"
    # A config file elsewhere: named, and a warehouse given by a variable stays absolute
    # (a relative one would start at that file's folder).
    conf = here / "etc" / "my conf.yaml"
    conf.parent.mkdir()
    conf.write_text("warehouse:\n  path: wh.duckdb\n", encoding="utf-8")
    monkeypatch.setenv("ATTRIBUTION_WAREHOUSE__PATH", str(here / "w.duckdb"))
    named = hint_in(here, monkeypatch, argv0, None, config=conf)
    assert named == (
        f"ATTRIBUTION_WAREHOUSE__PATH={here / 'w.duckdb'} env/bin/attribution "
        "--config 'etc/my conf.yaml' batches"
    )
    monkeypatch.setenv("ATTRIBUTION_WAREHOUSE__PATH", "wh.duckdb")  # the file's own: no variable
    same = hint_in(conf.parent, monkeypatch, argv0, None, config=conf)
    assert same == f"{script} --config 'my conf.yaml' batches"
    (here / "config.yaml").write_text("{}\n", encoding="utf-8")
    monkeypatch.delenv("ATTRIBUTION_WAREHOUSE__PATH")
    local = hint_in(here, monkeypatch, argv0, None, config=here / "config.yaml")
    assert local == "env/bin/attribution batches"  # ./config.yaml is found without --config


def test_serve_on_a_busy_port_stops_at_once_with_exit_code_5(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(tmp_path, "serve", "--host", "127.0.0.1", "--port", str(port))
    assert result.exit_code == PortInUseError.exit_code == 5
    assert result.output == (
        f"error: port {port} on 127.0.0.1 is in use by another program (perhaps another "
        f"`attribution serve`); stop it, or choose another port with --port (api.port), e.g. "
        f"--port {port + 1}\n"
    )
    assert not (tmp_path / "cli.duckdb").exists()  # stopped before opening the warehouse
    unknown = run(tmp_path, "serve", "--host", "nowhere.invalid", "--port", str(port))
    assert unknown.exit_code == 1
    assert f"cannot listen on nowhere.invalid:{port}: the address is unknown" in unknown.output


@pytest.mark.parametrize(
    "intervals",
    [["--no-intervals"], ["--intervals", "0.9", "--resamples", "20"]],
    ids=["no-intervals", "intervals"],
)
def test_a_stored_run_never_imports_pandas(
    intervals: list[str], tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """pyarrow's converters import pandas (about 0.2 s); a run builds its Arrow tables from
    buffers (engine/arrays.py), so `attribution run` stores a run, with or without intervals,
    without it."""
    db = tmp_path / "run.duckdb"
    shutil.copy(demo_warehouse(tmp_path_factory), db)
    code = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('pandas' in sys.modules, file=sys.stderr))\n"
        "sys.argv = ['attribution', 'run', '--as-of', '2026-11-25', '--window', '3w',\n"
        f"            '--models', 'first_touch,linear,time_decay,markov', *{intervals!r}]\n"
        "runpy.run_module('attribution', run_name='__main__')\n"
    )
    env = {**os.environ, "ATTRIBUTION_WAREHOUSE__PATH": str(db)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "converting journeys" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "False"


def test_a_run_loads_no_orm_report_or_spark_sql_library() -> None:
    """`attribution run` imports what a run needs: not SQLAlchemy (the registry's ORM), sqlglot
    (the Spark engine's SQL), jinja2 and plotly (reports), nor the ingest and snapshot code."""
    code = (
        "import sys\n"
        "import attribution.service.pipeline, attribution.cli.engine, attribution.engine.runs\n"
        "import attribution.reporting.render, attribution.cli.tables\n"
        "print(sorted(m for m in ('sqlalchemy', 'duckdb_engine', 'sqlglot', 'jinja2', 'plotly',\n"
        "    'attribution.ingest.loader', 'attribution.warehouse.snapshot') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@click.command("gc-probe")
def gc_probe() -> None:
    """Prints the collector's thresholds as a command sees them."""
    import gc

    click.echo(repr(gc.get_threshold()))


def test_a_command_runs_with_fewer_collections_and_leaves_python_s_pace_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    from attribution.cli import app

    monkeypatch.setitem(REGISTERED, "gc-probe", ("tests.test_cli", "gc_probe", "probe"))
    before = gc.get_threshold()
    result = CliRunner().invoke(main, ["gc-probe"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == repr(app.COMMAND_GC)
    assert gc.get_threshold() == before
