"""`attribution sql`: read-only queries of the snapshot, never the live file, in a sandbox with
a time limit and a row limit; table, CSV and JSON output."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import pty
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from attribution.cli import main
from attribution.cli.warehouse import repl
from attribution.config import load_settings
from attribution.errors import QueryError, QueryTimeoutError
from attribution.service.pipeline import Pipeline
from attribution.warehouse.sandbox import Sandbox

from .conftest import write_csv
from .demo_data import demo_warehouse

ATTRIBUTION = [sys.executable, "-m", "attribution"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo warehouse (closed) and a snapshot published from a copy of it."""
    folder = tmp_path_factory.mktemp("sql")
    shutil.copy(demo_warehouse(tmp_path_factory), folder / "live.duckdb")
    env = {
        "ATTRIBUTION_WAREHOUSE__PATH": str(folder / "live.duckdb"),
        "ATTRIBUTION_SNAPSHOT__PATH": str(folder / "snap" / "attribution.duckdb"),
    }
    with Pipeline.open(load_settings(environ=env)) as pipe:
        snap = pipe.publish_snapshot()
    return folder / "live.duckdb", snap.path


@pytest.fixture
def snapshot(demo: tuple[Path, Path]) -> Iterator[Path]:
    """The snapshot; the test fails if anything changed the file."""
    path = demo[1]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    yield path
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def sql(snapshot: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["sql", "--snapshot", str(snapshot), *args], input=stdin)


def test_a_query_prints_a_table_and_counts_rows(snapshot: Path) -> None:
    result = sql(snapshot, "SELECT kind, rows_rejected FROM data_quality ORDER BY batch_id")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["kind", "rows_rejected"] and set(lines[1]) == {"─"}
    assert [line.split() for line in lines[2:]] == [
        ["leads", "3"],
        ["touches", "5"],
        ["revenue", "4"],
        ["spend", "1"],
    ]
    assert "4 rows in" in result.stderr


def test_json_and_csv_parse_back_to_the_same_values(snapshot: Path) -> None:
    query = (
        "SELECT run_id, week, channel, model, leads, attributed_revenue, roas "
        "FROM channel_weekly_performance ORDER BY week, channel, model"
    )
    as_json = sql(snapshot, "--format", "json", query)
    as_csv = sql(snapshot, "--format", "csv", query)
    assert as_json.exit_code == 0 and as_csv.exit_code == 0, as_json.output + as_csv.output
    records = json.loads(as_json.stdout)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(records) == len(rows) > 8
    assert list(records[0]) == query[7:].split(" FROM")[0].split(", ")
    for record, row in zip(records, rows, strict=True):
        assert record["week"] == row["week"] and date.fromisoformat(row["week"]).weekday() == 0
        assert record["leads"] == int(row["leads"])
        assert record["attributed_revenue"] == float(row["attributed_revenue"])
        assert (record["roas"] is None) == (row["roas"] == "")  # NULL: null in JSON, empty in CSV
    assert any(r["roas"] is None for r in records) and any(r["roas"] for r in records)


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "files, the network and extensions are off"),
        ("SELECT * FROM read_text('/etc/passwd')", "files, the network and extensions are off"),
        ("COPY (SELECT 1) TO '{tmp}/x.csv'", "writes no files: COPY and EXPORT DATABASE"),
        ("EXPORT DATABASE '{tmp}/export'", "writes no files: COPY and EXPORT DATABASE"),
        ("ATTACH '{tmp}/y.duckdb' AS y", "files, the network and extensions are off"),
        ("INSTALL httpfs", "files, the network and extensions are off"),
        ("LOAD httpfs", "files, the network and extensions are off"),
        ("SET enable_external_access = true", "settings cannot be changed"),
        ("SET lock_configuration = false", "settings cannot be changed"),
        ("CREATE TABLE x AS SELECT 1", "the snapshot is read-only"),
        ("DELETE FROM leads", "the snapshot is read-only"),
    ],
)
def test_the_sandbox_refuses_clearly_and_writes_nothing(
    snapshot: Path, tmp_path: Path, statement: str, why: str
) -> None:
    result = sql(snapshot, statement.format(tmp=tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: refused: ") and why in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []
    after = sql(snapshot, "--format", "csv", "SELECT count(*) AS n FROM leads")
    assert after.stdout.splitlines()[1] != "0"


def test_a_slow_query_is_stopped_at_the_time_limit(snapshot: Path) -> None:
    started = time.perf_counter()
    result = sql(
        snapshot,
        "--timeout",
        "0.5",
        "SELECT count(*) FROM range(1000000000) a, range(1000000000) b",
    )
    assert result.exit_code == 1
    assert "the query ran longer than 0.5 s and was stopped" in result.stderr
    assert time.perf_counter() - started < 10


def test_a_query_that_ignores_interrupts_is_stopped_at_the_time_limit(snapshot: Path) -> None:
    # list_reduce checks for interrupts only when done (seconds later): the worker is killed.
    with Sandbox(snapshot, timeout=1, max_rows=5, memory_mb=1024) as box:
        started = time.perf_counter()
        with pytest.raises(QueryTimeoutError) as stopped:
            box.query("SELECT list_reduce(range(40000000), lambda a, b: a + b)")
        seconds = time.perf_counter() - started
        assert str(stopped.value) == (
            "the query ran longer than 1 s and was stopped; narrow it or allow more with "
            "--timeout (sql.timeout_seconds)"
        )
        assert seconds < 1 + 2, seconds
        assert box.query("SELECT 42 AS answer").rows == [(42,)]  # a new worker answers
    print(f"stopped after {seconds:.2f} s")


def test_a_query_needing_more_than_the_memory_limit_is_refused_under_it(
    snapshot: Path, tmp_path: Path
) -> None:
    # A sort DuckDB's memory_limit counts, and a list it does not (capped by the OS limit).
    env = {**os.environ, "ATTRIBUTION_SQL__MEMORY_LIMIT_MB": "200", "COLUMNS": "80"}
    for query in [
        "SELECT count(*) FROM (SELECT i, random() AS r FROM range(60000000) t(i) ORDER BY r)",
        "SELECT len(list_sort(range(60000000)))",
    ]:
        started = time.perf_counter()
        child = subprocess.Popen(
            [*ATTRIBUTION, "sql", "--snapshot", str(snapshot), "--timeout", "60", query],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        )
        assert child.stderr is not None
        _, status, usage = os.wait4(child.pid, 0)
        err = child.stderr.read().decode()
        peak_mb = usage.ru_maxrss / 1024  # the largest of the CLI and its query process
        assert os.waitstatus_to_exitcode(status) == 1, err
        assert err.startswith(
            "error: refused: the query needs more than the memory limit of 200 MB "
            "(sql.memory_limit_mb); narrow it ("
        ), err
        assert len(err.strip().splitlines()) == 1
        # The worker's cap is its data size at start (DuckDB's reserved arenas: a few hundred
        # MB, more with more threads) + the limit + 128 MB; without it this query took GBs.
        assert peak_mb < 200 + 1024, peak_mb
        print(
            f"{query[:30]}: refused in {time.perf_counter() - started:.1f} s, peak {peak_mb:.0f} MB"
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "statement",
    [
        "COPY (SELECT * FROM leads) TO '{tmp}/leads.csv'",
        "COPY leads TO 'leads.parquet' (FORMAT parquet)",
        "EXPORT DATABASE '{tmp}/export'",
        "EXPORT DATABASE 'export'",
        "SELECT 1; COPY (SELECT 1) TO '{tmp}/one.csv'",
    ],
)
def test_copy_to_and_export_write_nothing_anywhere(
    snapshot: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, statement: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    result = sql(snapshot, statement.format(tmp=tmp_path))
    assert result.exit_code == 1
    assert result.stderr == (
        "error: refused: `attribution sql` writes no files: COPY and EXPORT DATABASE are not run\n"
    )
    assert list(tmp_path.iterdir()) == []
    assert list(snapshot.parent.iterdir()) == [snapshot]


def test_duckdb_itself_gives_the_query_no_writable_folder(snapshot: Path, tmp_path: Path) -> None:
    # Below the statement check: the connection's settings refuse a write, with no spill folder.
    with Sandbox(snapshot, timeout=10, max_rows=5) as box:
        temp = box.query("SELECT current_setting('temp_directory')").rows
        assert temp == [("",)]
        allowed = box.query("SELECT current_setting('allowed_directories')").rows
        assert allowed == [([],)]
        with pytest.raises(QueryError, match="files, the network and extensions are off"):
            box.query(f"SELECT * FROM read_csv('{tmp_path}/x.csv')")


def test_sql_refuses_a_file_that_is_not_a_published_snapshot(
    demo: tuple[Path, Path], tmp_path: Path
) -> None:
    live = tmp_path / "attribution.duckdb"
    shutil.copy(demo[0], live)
    result = sql(live, "SELECT token_hash FROM api_tokens")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: refused: {live} is not a published snapshot (it has no snapshot_info table); "
        "`attribution sql` never opens the live warehouse: query a snapshot from "
        "`attribution snapshot`\n"
    )
    assert "token" not in result.stdout


def test_max_rows_cuts_the_output_and_says_so(snapshot: Path) -> None:
    cut = sql(snapshot, "--format", "csv", "--max-rows", "3", "SELECT * FROM range(10) t(i)")
    assert cut.exit_code == 0
    assert cut.stdout.splitlines() == ["i", "0", "1", "2"]
    assert "output cut at 3 rows" in cut.stderr
    whole = sql(snapshot, "--format", "json", "--max-rows", "3", "SELECT * FROM range(3) t(i)")
    assert json.loads(whole.stdout) == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert "cut" not in whole.stderr


def test_the_query_can_come_from_stdin(snapshot: Path) -> None:
    result = sql(snapshot, "--format", "json", stdin="SELECT 6 * 7 AS answer;\n")
    assert json.loads(result.stdout) == [{"answer": 42}]
    empty = sql(snapshot, stdin="")
    assert empty.exit_code == 1 and "no query given" in empty.stderr


def test_a_missing_snapshot_says_how_to_make_one(tmp_path: Path) -> None:
    result = sql(tmp_path / "none.duckdb", "SELECT 1")
    assert result.exit_code == 1
    assert f"no snapshot at {tmp_path / 'none.duckdb'}" in result.stderr
    assert "attribution snapshot" in result.stderr and "Traceback" not in result.output


def test_errors_keep_duckdbs_message_and_debug_shows_the_traceback(snapshot: Path) -> None:
    result = sql(snapshot, "SELEC 1")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        'error: Parser Error: syntax error at or near "SELEC"',
        "",
        "LINE 1: SELEC 1",
        "        ^^^^^",
    ]
    debug = CliRunner().invoke(main, ["--debug", "sql", "--snapshot", str(snapshot), "SELEC 1"])
    assert isinstance(debug.exception, QueryError)


@pytest.mark.parametrize(
    ("query", "message", "hint", "wrong"),
    [
        (
            "SELECT * FROM channel_weekly_performanc",
            "Catalog Error: Table with name channel_weekly_performanc does not exist!",
            'Did you mean "channel_weekly_performance"?',
            "channel_weekly_performanc",
        ),
        (
            "SELECT atributed_revenue FROM channel_weekly_performance",
            'Binder Error: Referenced column "atributed_revenue" not found in FROM clause!',
            'Candidate bindings: "attributed_revenue"',
            "atributed_revenue",
        ),
        (  # [bold] is the query's, not markup
            "SELECT [1, 2][bold]",
            'Binder Error: Referenced column "bold" was not found because the FROM clause is '
            "missing",
            "",
            "bold",
        ),
    ],
)
def test_a_misspelled_name_gets_duckdbs_suggestions_without_a_traceback(
    snapshot: Path, query: str, message: str, hint: str, wrong: str
) -> None:
    result = sql(snapshot, query)
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: {message}"
    assert not hint or any(line.startswith(hint) for line in lines[1:])
    assert lines[-2] == f"LINE 1: {query}"
    assert lines[-1].index("^") == lines[-2].index(wrong)  # the caret under the name
    assert "Traceback" not in result.stderr and 'File "' not in result.stderr


def test_the_prompt_reads_statements_until_a_semicolon(
    snapshot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = iter(["SELECT 1 AS a,", "  2 AS b;", "SELECT * FROM nowhere;", "SELECT 3 AS c;"])

    def read(prompt: str) -> str:
        line = next(lines, None)
        if line is None:
            raise EOFError
        return line

    with Sandbox(snapshot, timeout=5, max_rows=10) as box:
        repl(box, "csv", read=read)
    captured = capsys.readouterr()
    assert captured.out == "a,b\n1,2\nc\n3\n"
    assert "Table with name nowhere does not exist" in captured.err


def test_sql_in_a_terminal_reads_the_snapshot_while_the_owner_holds_the_live_file(
    demo: tuple[Path, Path], snapshot: Path, tmp_path: Path
) -> None:
    live = tmp_path / "live.duckdb"
    shutil.copy(demo[0], live)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ATTRIBUTION_")},
        "ATTRIBUTION_WAREHOUSE__PATH": str(live),
        "ATTRIBUTION_SNAPSHOT__PATH": str(snapshot),
        "TERM": "dumb",
    }
    settings = load_settings(environ=env)
    with Pipeline.open(settings) as pipe:  # the owner: holds the live file and writes to it
        new = write_csv(tmp_path / "l.csv", ["lead_id", "created_at"], [["N", "2026-11-20"]])
        pipe.ingest("leads", new)
        live_leads = pipe.warehouse.con.execute("SELECT count(*) FROM leads").fetchone()
        assert live_leads is not None
        controller, terminal = pty.openpty()
        session = subprocess.Popen(
            [*ATTRIBUTION, "sql", "--format", "csv"],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        os.close(terminal)
        typed = "SELECT count(*) AS n\nFROM leads;\nSELECT * FROM read_csv('/etc/passwd');\n"
        os.write(controller, typed.encode() + b"SELECT 7 AS seven;\n.quit\n")
        out, err = session.communicate(timeout=60)
        os.close(controller)
    assert session.returncode == 0, err.decode()
    text = out.decode()
    assert f"n\n{live_leads[0] - 1}\n" in text  # the snapshot's leads: not the new one
    assert "seven\n7\n" in text
    assert "refused: `attribution sql` reads only the snapshot" in err.decode()
