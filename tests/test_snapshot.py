"""The analysts' snapshot: published by the owning process, read by others while it writes,
replaced atomically, in an older storage version, and as Parquet."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from attribution.cli import main
from attribution.config import Settings
from attribution.errors import ConfigError, NotFoundError
from attribution.service.pipeline import Pipeline
from attribution.warehouse.snapshot import PRIVATE_TABLES, VIEWS_DIR, view_names

from .conftest import MakeSettings, write_csv
from .demo_data import demo_warehouse

VIEWS = {
    "attribution_credits",
    "conversion_credits",
    "channel_weekly_performance",
    "data_quality",
    "journeys",
    "source_weekly_performance",
}
DOCS = Path(__file__).resolve().parent.parent / "docs" / "warehouse.md"
DOCUMENTED = re.compile(r"^--   (\w+) +([A-Z]+(?:\[\])?)  ", re.MULTILINE)
READ = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
queries = json.loads(sys.argv[2])
print(json.dumps({k: con.execute(q).fetchall() for k, q in queries.items()}, default=str))
"""


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_warehouse(tmp_path_factory)


@pytest.fixture
def snap_settings(make_settings: MakeSettings, demo_db: Path, tmp_path: Path) -> Settings:
    """Settings of a copy of the demo warehouse, its snapshot under tmp_path/snap/."""
    shutil.copy(demo_db, tmp_path / "wh.duckdb")
    return make_settings(snapshot={"path": str(tmp_path / "snap" / "attribution.duckdb")})


def read(path: Path, **queries: str) -> dict[str, list[list[Any]]]:
    """Run queries on a DuckDB file opened read-only in a separate process."""
    done = subprocess.run(
        [sys.executable, "-c", READ, str(path), json.dumps(queries)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[list[Any]]] = json.loads(done.stdout)
    return result


def one(pipe: Pipeline, sql: str, params: dict[str, Any] | None = None) -> Any:
    row = pipe.warehouse.con.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def test_publish_holds_the_tables_and_views_but_no_credentials(
    snap_settings: Settings, tmp_path: Path
) -> None:
    with Pipeline.open(snap_settings) as pipe:
        found_tables = pipe.warehouse.con.execute("SELECT table_name FROM duckdb_tables()")
        live_tables = {r[0] for r in found_tables.fetchall()}
        snap = pipe.publish_snapshot()
    assert snap.path == tmp_path / "snap" / "attribution.duckdb" and snap.path.is_file()
    assert snap.bytes == snap.path.stat().st_size > 0
    assert set(snap.views) == VIEWS == set(view_names())
    assert set(snap.tables) == (live_tables - set(PRIVATE_TABLES)) | {"snapshot_info"}
    assert "api_tokens" in live_tables and "api_tokens" not in snap.tables
    assert os.listdir(snap.path.parent) == [snap.path.name]  # no temporary file left
    found = read(snap.path, tables="SELECT table_name FROM duckdb_tables()")
    assert {r[0] for r in found["tables"]} == set(snap.tables)


def test_views_read_in_another_process_match_the_live_tables_while_the_owner_writes(
    snap_settings: Settings, tmp_path: Path
) -> None:
    with Pipeline.open(snap_settings) as pipe:
        pipe.publish_snapshot()
        window = {"run_id": 1}
        leads = one(
            pipe,
            "SELECT count(*) FROM leads AS l, attribution_runs AS r WHERE r.run_id = $run_id "
            "AND NOT l.junk AND l.created_at >= r.window_start AND l.created_at < r.window_end",
            window,
        )
        spend = one(
            pipe,
            "SELECT sum(s.amount) FROM spend AS s, attribution_runs AS r WHERE r.run_id = $run_id "
            "AND s.spend_date >= r.window_start AND s.spend_date < r.window_end",
            window,
        )
        linear = dict(
            pipe.warehouse.con.execute(
                "SELECT channel, value FROM channel_credits WHERE run_id = 1 AND model = 'linear'"
            ).fetchall()
        )
        conversions = one(pipe, "SELECT conversions FROM attribution_runs WHERE run_id = 1")
        rejected = dict(
            pipe.warehouse.con.execute(
                "SELECT batch_id, count(*) FROM rejected_rows GROUP BY batch_id"
            ).fetchall()
        )
        # The owner goes on writing: a new batch lands in the live file, not in the snapshot.
        new = write_csv(tmp_path / "more.csv", ["lead_id", "created_at"], [["NEW1", "2026-11-20"]])
        pipe.ingest("leads", new)
        assert one(pipe, "SELECT count(*) FROM ingest_batches") == 5
        got = read(
            snap_settings.resolve(snap_settings.snapshot.path),
            channel="SELECT channel, sum(attributed_revenue), sum(leads), sum(spend) "
            "FROM channel_weekly_performance WHERE run_id = 1 AND model = 'linear' GROUP BY 1",
            ratios="SELECT count(*) FROM channel_weekly_performance WHERE "
            "roas IS DISTINCT FROM attributed_revenue / NULLIF(spend, 0) "
            "OR cac IS DISTINCT FROM spend / NULLIF(attributed_conversions, 0) "
            "OR cost_per_lead IS DISTINCT FROM spend / NULLIF(leads, 0) "
            "OR (spend = 0 AND roas IS NOT NULL) OR (leads = 0 AND cost_per_lead IS NOT NULL)",
            source="SELECT sum(leads), sum(attributed_conversions), count(DISTINCT model) "
            "FROM source_weekly_performance WHERE run_id = 1 AND model = 'linear'",
            shares="SELECT model, sum(conversion_share), count(*) FROM attribution_credits "
            "GROUP BY model",
            journeys="SELECT count(*), sum(channel_count), "
            "count(*) FILTER (WHERE channels IS NULL) FROM journeys",
            journey_channels="SELECT count(*) FROM journey_channels",
            quality="SELECT batch_id, kind, rows_rejected, top_reason, top_reason_rows "
            "FROM data_quality ORDER BY batch_id",
            leads="SELECT count(*) FROM leads",
            live="SELECT 'opened'",
        )
        live_leads = one(pipe, "SELECT count(*) FROM leads")
        # ... and still holds the live file: no other process can open it.
        held = subprocess.run(
            [sys.executable, "-c", READ, str(pipe.warehouse.path), "{}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert held.returncode != 0 and "lock" in held.stderr.lower()
    channel = {c: (rev, n, s) for c, rev, n, s in got["channel"]}
    assert set(channel) >= set(linear)
    for name, value in linear.items():
        assert channel[name][0] == pytest.approx(value, abs=1e-6)
    assert sum(n for _, n, _ in channel.values()) == leads > 0
    assert sum(s for *_, s in channel.values()) == pytest.approx(float(spend))
    assert got["ratios"] == [[0]]
    source_leads, source_conversions, models = got["source"][0]
    assert source_leads == leads and source_conversions == pytest.approx(conversions)
    assert models == 1
    assert len(got["shares"]) == 8
    assert all(total == pytest.approx(1.0) for _, total, _ in got["shares"])
    n, channels, no_channels = got["journeys"][0]
    assert n == conversions > 0 and channels == got["journey_channels"][0][0]
    assert no_channels == 0
    assert [(b, rows) for b, _, rows, _, _ in got["quality"]] == sorted(rejected.items())
    assert got["quality"][1][1:] == ["touches", 5, "lead_id is unknown: load its lead first", 5]
    assert got["leads"][0][0] == live_leads - 1  # the lead ingested after the publish


READER = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
stamp = "strftime(published_at, '%Y-%m-%d %H:%M:%S.%f')"
first = con.execute(f"SELECT {stamp} FROM snapshot_info").fetchall()
print("ready", flush=True)
sys.stdin.readline()
second = con.execute(
    "SELECT (SELECT strftime(published_at, '%Y-%m-%d %H:%M:%S.%f') FROM snapshot_info), "
    "(SELECT count(*) FROM leads), (SELECT count(*) FROM touches), "
    "(SELECT sum(leads) FROM channel_weekly_performance WHERE model = 'markov'), "
    "(SELECT count(*) FROM data_quality)"
).fetchall()
print(json.dumps([first, second]))
"""


def test_a_publish_does_not_disturb_a_reader_of_the_old_snapshot(
    snap_settings: Settings, tmp_path: Path
) -> None:
    with Pipeline.open(snap_settings) as pipe:
        old = pipe.publish_snapshot()
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(old.path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert reader.stdout is not None and reader.stdin is not None
            assert reader.stdout.readline().strip() == "ready"
            more = write_csv(
                tmp_path / "more.csv",
                ["lead_id", "created_at"],
                [[f"NEW{i}", "2026-11-20"] for i in range(25)],
            )
            pipe.ingest("leads", more)
            new = pipe.publish_snapshot()  # replaces the file the reader has open
            reader.stdin.write("go\n")
            reader.stdin.flush()
            out, err = reader.communicate(timeout=60)
        finally:
            reader.kill()
        live_leads = one(pipe, "SELECT count(*) FROM leads")
        touches = one(pipe, "SELECT count(*) FROM touches")
    assert reader.returncode == 0, err
    (first,), (second,) = json.loads(out)
    published, leads, reader_touches, view_leads, batches = second
    assert (
        published == first[0] == old.published_at.isoformat(" ", "microseconds")
    )  # still the old file
    assert leads == live_leads - 25 and reader_touches == touches
    assert view_leads > 0 and batches == 4
    after = read(
        new.path,
        info="SELECT strftime(published_at, '%Y-%m-%d %H:%M:%S.%f'), "
        "(SELECT count(*) FROM leads) FROM snapshot_info",
    )
    assert after["info"] == [[new.published_at.isoformat(" ", "microseconds"), live_leads]]


def test_two_publishes_at_once_take_turns(snap_settings: Settings) -> None:
    with Pipeline.open(snap_settings) as pipe:
        results: list[object] = []

        def publish() -> None:
            try:
                results.append(pipe.publish_snapshot())
            except Exception as exc:  # collected: the assertion below shows it
                results.append(exc)

        threads = [threading.Thread(target=publish) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert len(results) == 3 and not [r for r in results if isinstance(r, Exception)], results
    path = snap_settings.resolve(snap_settings.snapshot.path)
    assert read(path, n="SELECT count(*) FROM journeys")["n"][0][0] > 0


def test_storage_version_v1_5_0_for_older_clients(
    snap_settings: Settings, make_settings: MakeSettings, tmp_path: Path
) -> None:
    old_format = make_settings(
        snapshot={"path": str(tmp_path / "old" / "a.duckdb"), "storage_version": "v1.5.0"}
    )
    with Pipeline.open(old_format) as pipe:
        old = pipe.publish_snapshot()
        new = Pipeline(snap_settings, pipe.warehouse).publish_snapshot()
    version = (
        "SELECT tags['storage_version'] FROM duckdb_databases() "
        "WHERE database_name = current_database()"
    )
    got = read(
        old.path,
        version=version,
        info="SELECT storage_version FROM snapshot_info",
        rows="SELECT count(*) FROM channel_weekly_performance",
    )
    assert got["version"] == [["v1.5.0+"]] and got["info"] == [["v1.5.0"]]
    assert old.storage_version == "v1.5.0" and got["rows"][0][0] > 0
    assert read(new.path, version=version)["version"] == [["v2.0.0+"]]
    # The file header's storage number: DuckDB 1.5 clients read 64 to 68 (checked by hand with
    # duckdb 1.5.6, which opens the v1.5.0 file and its views and refuses the other).
    assert header_storage_number(old.path) == 68 and header_storage_number(new.path) > 68


def header_storage_number(path: Path) -> int:
    """The storage version number in a DuckDB file's main header (after 8 checksum bytes and
    the magic DUCK)."""
    head = path.read_bytes()[:20]
    assert head[8:12] == b"DUCK"
    return int.from_bytes(head[12:20], "little")


def test_a_bad_storage_version_names_the_key_and_leaves_nothing(
    make_settings: MakeSettings, demo_db: Path, tmp_path: Path
) -> None:
    shutil.copy(demo_db, tmp_path / "wh.duckdb")
    settings = make_settings(
        snapshot={"path": str(tmp_path / "snap" / "a.duckdb"), "storage_version": "v9"}
    )
    with Pipeline.open(settings) as pipe, pytest.raises(ConfigError) as caught:
        pipe.publish_snapshot()
    assert "snapshot.storage_version = 'v9'" in str(caught.value)
    assert os.listdir(tmp_path / "snap") == []


def test_parquet_files_hold_every_table_and_view(
    make_settings: MakeSettings, demo_db: Path, tmp_path: Path
) -> None:
    shutil.copy(demo_db, tmp_path / "wh.duckdb")
    out = tmp_path / "parquet"
    out.mkdir()
    (out / "dropped_table.parquet").write_bytes(b"stale")  # from an earlier publish
    settings = make_settings(
        snapshot={"path": str(tmp_path / "snap" / "a.duckdb"), "parquet_dir": str(out)}
    )
    with Pipeline.open(settings) as pipe:
        snap = pipe.publish_snapshot()
    names = {p.stem for p in snap.parquet_files}
    assert names == set(snap.tables) | set(snap.views)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.parquet" for n in names)
    counts = read(
        snap.path,
        keys="SELECT CAST(touch_key AS VARCHAR) FROM touches ORDER BY 1",
        **{n: f"SELECT count(*) FROM {n}" for n in sorted(names)},
    )
    for path in snap.parquet_files:
        assert pq.ParquetFile(path).metadata.num_rows == counts[path.stem][0][0], path.stem
    assert counts["journeys"][0][0] > 0 and counts["touches"][0][0] > 0
    written = sorted(pq.read_table(out / "touches.parquet").column("touch_key").to_pylist())
    assert written == [k for (k,) in counts["keys"]]  # 128-bit keys kept exactly, as text
    assert not [p for p in tmp_path.iterdir() if ".publish-" in p.name]


def test_leftovers_of_a_crashed_publish_are_removed(snap_settings: Settings) -> None:
    final = snap_settings.resolve(snap_settings.snapshot.path)
    final.parent.mkdir(parents=True)
    dead = final.with_name(f".{final.name}.publish-999999999-dead")
    for path in (dead, dead.with_name(dead.name + ".wal")):
        path.write_bytes(b"half a database")
    busy = final.with_name(f".{final.name}.publish-{os.getppid()}-busy")  # a live process's
    busy.write_bytes(b"being written")
    with Pipeline.open(snap_settings) as pipe:
        pipe.publish_snapshot()
    assert sorted(os.listdir(final.parent)) == sorted([final.name, busy.name])


def test_snapshot_command_prints_what_it_published(snap_settings: Settings, tmp_path: Path) -> None:
    env = {"ATTRIBUTION_CONFIG": str(tmp_path / "config.yaml")}
    result = CliRunner().invoke(main, ["snapshot"], env=env)
    assert result.exit_code == 0, result.output
    path = snap_settings.resolve(snap_settings.snapshot.path)
    tables = read(path, n="SELECT count(*) FROM duckdb_tables()")["n"][0][0]
    assert f"snapshot {path}: " in result.output
    assert f" MB, {tables} tables, 6 views, storage v{duckdb.__version__}, " in result.output


def test_snapshot_command_with_the_warehouse_held_elsewhere_says_so(
    snap_settings: Settings, tmp_path: Path
) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "sys.stdin.readline()",
            str(tmp_path / "wh.duckdb"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        env = {"ATTRIBUTION_CONFIG": str(tmp_path / "config.yaml")}
        result = CliRunner().invoke(main, ["snapshot"], env=env)
    finally:
        holder.communicate("done\n", timeout=30)
    assert result.exit_code == 3
    assert f"in use by process {holder.pid}" in result.output
    assert "Traceback" not in result.output
    assert not snap_settings.resolve(snap_settings.snapshot.path).exists()


def test_a_failed_copy_leaves_the_old_snapshot_and_no_temporary_file(
    snap_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from attribution.warehouse import snapshot

    with Pipeline.open(snap_settings) as pipe:
        old = pipe.publish_snapshot()
        before = old.path.read_bytes()
        monkeypatch.setattr(snapshot, "view_names", lambda: ["no_such_view"])
        with pytest.raises(NotFoundError, match="no_such_view"):
            pipe.publish_snapshot()
    assert old.path.read_bytes() == before
    assert os.listdir(old.path.parent) == [old.path.name]


def documented_in_docs() -> dict[str, list[tuple[str, str]]]:
    """docs/warehouse.md: each table and view heading with its (column, type) rows."""
    found: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if heading := re.match(r"^#{3,4} `(\w+)`", line):
            current = found.setdefault(heading[1], [])
        elif current is not None and (
            row := re.match(r"^\| `(\w+)` \| ([A-Z0-9(),\[\]]+) \|", line)
        ):
            current.append((row[1], row[2]))
    return found


def test_every_table_and_view_is_documented_column_by_column(snap_settings: Settings) -> None:
    """The views' header comments and docs/warehouse.md list exactly the columns, in order,
    with their types, of every view and every table of the warehouse and the snapshot."""
    columns = (
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = current_database() ORDER BY table_name, column_index"
    )
    with Pipeline.open(snap_settings) as pipe:
        live = pipe.warehouse.con.execute(columns).fetchall()
        snap = pipe.publish_snapshot()
    actual: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in [*live, *read(snap.path, c=columns)["c"]]:
        if (column, kind) not in actual.setdefault(table, []):
            actual[table].append((column, kind))
    for view in snap.views:
        header = (VIEWS_DIR / f"{view}.sql").read_text(encoding="utf-8").split("CREATE VIEW")[0]
        assert DOCUMENTED.findall(header) == actual[view], view
    docs = documented_in_docs()
    for name, cols in actual.items():
        assert docs.get(name) == cols, name
