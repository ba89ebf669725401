"""Backup and restore: a whole, consistent copy of a warehouse in use, verified before it is
restored into a new file that the current code opens as it is."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from click.testing import CliRunner
from fastapi.testclient import TestClient

from attribution.api import create_app
from attribution.cli import main
from attribution.config import Settings, load_settings
from attribution.engine import runs
from attribution.errors import BackupError
from attribution.ingest.loader import BatchSummary
from attribution.registry import sources as registry
from attribution.registry.schemas import SourceUpdate
from attribution.registry.tokens import create_token
from attribution.service.pipeline import Pipeline, run_demo
from attribution.service.scheduler import STORE_TABLE
from attribution.warehouse import backup, statements
from attribution.warehouse.connection import Warehouse

from .conftest import MakeSettings, write_csv
from .server import serving

AS_OF = date(2026, 11, 25)
RUN_TABLES = (
    "attribution_runs",
    "channel_credits",
    "source_credits",
    "conversion_credit_rows",
    "path_credits",
    "run_conversion_ids",
    "channel_day_credits",
    "journey_channels",
    "run_lead_days",
    "run_spend_days",
)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed demo warehouse: 300 leads over 4 weeks, the report's run plus one more run."""
    folder = tmp_path_factory.mktemp("backup-demo")
    env = {
        "ATTRIBUTION_DEMO__OUTPUT_DIR": str(folder),
        "ATTRIBUTION_DEMO__LEADS": "300",
        "ATTRIBUTION_DEMO__WEEKS": "4",
    }
    db = run_demo(load_settings(environ=env), as_of=AS_OF).warehouse
    with Warehouse.open_path(db) as wh:
        # the scheduler's job store, as `serve` makes it: a BLOB column and an index
        SQLAlchemyJobStore(engine=wh.engine(), tablename=STORE_TABLE).start(None, "default")
        wh.con.execute(f"INSERT INTO {STORE_TABLE} VALUES ('weekly', 1.5, '\\xAA\\x00'::BLOB)")
        runs.run(
            wh,
            runs.RunSpec(
                datetime(2026, 10, 1), datetime(2026, 11, 25), models=("last_touch", "linear")
            ),
        )
    assert not db.with_name(db.name + ".wal").exists()
    return db


@pytest.fixture
def wh_settings(make_settings: MakeSettings, demo_db: Path, tmp_path: Path) -> Settings:
    """Settings of a copy of the demo warehouse: tmp_path/wh.duckdb, tmp_path/config.yaml."""
    shutil.copy(demo_db, tmp_path / "wh.duckdb")
    return make_settings()


def rows(path: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def table_names(path: Path) -> list[str]:
    return [r[0] for r in rows(path, "SELECT table_name FROM duckdb_tables() ORDER BY 1")]


def contents(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, fully ordered."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}


SCHEMA = {
    "columns": "SELECT table_name, column_name, data_type, column_default, is_nullable "
    "FROM duckdb_columns() WHERE NOT internal ORDER BY ALL",
    "constraints": "SELECT table_name, constraint_type, constraint_text "
    "FROM duckdb_constraints() ORDER BY ALL",
    "indexes": "SELECT table_name, sql FROM duckdb_indexes() ORDER BY ALL",
    "sequences": "SELECT sequence_name, coalesce(last_value + 1, start_value) "
    "FROM duckdb_sequences() ORDER BY ALL",
}


def new_source(wh: Warehouse, name: str) -> int:
    fields, _ = SourceUpdate.parse({"name": name, "channel": "Email"}, creating=True)
    return registry.create_source(wh, fields=fields)


def test_round_trip_restores_every_table_schema_and_sequence(
    wh_settings: Settings, tmp_path: Path
) -> None:
    live = tmp_path / "wh.duckdb"
    with Pipeline.open(wh_settings) as pipe:
        made = pipe.backup(tmp_path / "backups")
    assert made.path.parent == tmp_path / "backups" and made.path.name.startswith("wh-")
    assert [p.name for p in made.path.parent.iterdir()] == [made.path.name]  # no staging left
    before = contents(live)
    assert all(before[t] for t in RUN_TABLES)  # two runs stored: the run tables have rows
    assert before[STORE_TABLE] == [("weekly", 1.5, b"\xaa\x00")]
    assert rows(live, "SELECT count(*) FROM duckdb_indexes()") == [(1,)]
    assert made.summary()["tables"] == {t: len(r) for t, r in before.items()}

    done = backup.restore(made.path, tmp_path / "restored.duckdb")
    assert done.migrations_applied == [] and done.sequences_advanced == {}
    after = contents(done.path)
    assert table_names(done.path) == table_names(live)
    for table, expected in before.items():
        assert after[table] == expected, table
    for what, sql in SCHEMA.items():
        assert rows(done.path, sql) == rows(live, sql), what

    with Warehouse.open_path(done.path, upgrade=False) as wh:
        assert wh.migrate() == []  # schema_migrations came along: nothing runs again
        top = int(wh.con.execute("SELECT max(id) FROM lead_sources").fetchall()[0][0])
        assert new_source(wh, "Restored Newsletter") == top + 1
        top_batch = int(wh.con.execute("SELECT max(batch_id) FROM ingest_batches").fetchall()[0][0])
    with Pipeline(wh_settings, Warehouse.open_path(done.path)) as pipe:
        leads = write_csv(tmp_path / "new.csv", ["lead_id", "created_at"], [["R-1", "2026-11-20"]])
        assert pipe.ingest("leads", leads).batch_id == top_batch + 1


def test_a_sequence_behind_its_ids_is_moved_past_them(
    wh_settings: Settings, tmp_path: Path
) -> None:
    with Pipeline.open(wh_settings) as pipe:
        pipe.warehouse.con.execute(
            "INSERT INTO lead_sources (id, name, name_key) VALUES (500, 'Typed In', 'typed in')"
        )
        made = pipe.backup(tmp_path / "backups")
    done = backup.restore(made.path, tmp_path / "restored.duckdb")
    assert done.sequences_advanced == {"lead_sources_id_seq": 501}
    with Warehouse.open_path(done.path) as wh:
        assert new_source(wh, "After The Typed One") == 501


def parquet_count(folder: Path, file: str) -> int:
    return int(
        duckdb.execute("SELECT count(*) FROM read_parquet(?)", [str(folder / file)]).fetchall()[0][
            0
        ]
    )


def assert_consistent(made: backup.Backup) -> dict[int, int]:
    """The manifest's counts are the files' counts, and every batch is whole: returns the
    leads per batch found."""
    for table, entry in made.manifest.tables.items():
        assert parquet_count(made.path, entry.file) == entry.rows, table
    con = duckdb.connect()
    leads, batches = (str(made.path / f) for f in ("leads.parquet", "ingest_batches.parquet"))
    assert con.execute("SELECT DISTINCT status FROM read_parquet(?)", [batches]).fetchall() == [
        ("loaded",)
    ]
    per_batch = con.execute(
        "SELECT b.batch_id, b.rows_loaded, count(l.lead_id) FROM read_parquet($b) AS b "
        "LEFT JOIN read_parquet($l) AS l USING (batch_id) WHERE b.kind = 'leads' GROUP BY ALL",
        {"b": batches, "l": leads},
    ).fetchall()
    assert all(loaded == found for _, loaded, found in per_batch), per_batch
    orphans = con.execute(
        "SELECT count(*) FROM read_parquet($l) WHERE batch_id NOT IN "
        "(SELECT batch_id FROM read_parquet($b))",
        {"b": batches, "l": leads},
    ).fetchall()
    assert orphans == [(0,)]
    return {int(b): int(n) for b, _, n in per_batch}


def lead_file(folder: Path, k: int, n: int = 150) -> Path:
    return write_csv(
        folder / f"more-{k}.csv",
        ["lead_id", "created_at", "source"],
        [[f"M{k}-{i}", "2026-11-20 10:00", "Google"] for i in range(n)],
    )


def test_a_backup_during_a_batch_holds_the_state_before_it(
    wh_settings: Settings, tmp_path: Path
) -> None:
    """The batch's rows are written but not committed while the backup runs: it is absent from
    that backup, whole in the next."""
    inside, release = threading.Event(), threading.Event()
    summaries: list[BatchSummary] = []

    def tick(stage: str, step: int, steps: int) -> None:
        if stage == "committing" and not inside.is_set():
            inside.set()  # rows inserted, batch not finished, transaction open
            assert release.wait(30)

    with Pipeline.open(wh_settings) as pipe:
        before = {b["batch_id"] for b in pipe.batches(100)}
        path = lead_file(tmp_path, 1)
        writer = threading.Thread(
            target=lambda: summaries.append(pipe.ingest("leads", path, progress=tick))
        )
        writer.start()
        try:
            assert inside.wait(30)
            during = pipe.backup(tmp_path / "backups")
        finally:
            release.set()
            writer.join(30)
        after = pipe.backup(tmp_path / "backups")
    new_batch = summaries[0].batch_id
    assert new_batch is not None and new_batch not in before
    assert new_batch not in assert_consistent(during)
    assert assert_consistent(after)[new_batch] == 150
    assert during.manifest.tables["leads"].rows + 150 == after.manifest.tables["leads"].rows


def test_a_batch_committed_between_the_export_and_the_counts_is_in_neither(
    wh_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files and the manifest's counts come from one transaction: a commit landing after
    EXPORT has written the files, before the tables are counted, shows in neither."""
    real = statements.fill
    landed: list[BatchSummary] = []

    with Pipeline.open(wh_settings) as pipe:

        def sql_then_commit(name: str, **quoted: str) -> str:
            if name == "backup/count_rows" and not landed:
                landed.append(pipe.ingest("leads", lead_file(tmp_path, 9)))
            return real(name, **quoted)

        monkeypatch.setattr(backup, "fill", sql_then_commit)
        made = pipe.backup(tmp_path / "backups")
        now = pipe.warehouse.con.execute("SELECT count(*) FROM leads").fetchall()[0][0]
    assert landed and landed[0].loaded == 150
    assert landed[0].batch_id not in assert_consistent(made)
    assert made.manifest.tables["leads"].rows == now - 150


def test_backups_while_another_thread_ingests_are_each_consistent(
    wh_settings: Settings, tmp_path: Path
) -> None:
    files = [lead_file(tmp_path, k, n=100 + k) for k in range(6)]
    with Pipeline.open(wh_settings) as pipe:
        before = {b["batch_id"] for b in pipe.batches(100)}
        writer = threading.Thread(target=lambda: [pipe.ingest("leads", f) for f in files])
        writer.start()
        made: list[backup.Backup] = []
        try:
            while writer.is_alive() or not made:
                made.append(pipe.backup(tmp_path / "backups"))
        finally:
            writer.join(60)
        made.append(pipe.backup(tmp_path / "backups"))
    seen = [assert_consistent(m) for m in made]
    assert len({m.path for m in made}) == len(made)  # same second: -2, -3, ... never reused
    assert sorted(n for b, n in seen[-1].items() if b not in before) == [100 + k for k in range(6)]


def tamper_byte(folder: Path) -> str:
    data = bytearray((folder / "leads.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "leads.parquet").write_bytes(bytes(data))
    return r"leads\.parquet does not match its SHA-256"


def tamper_missing(folder: Path) -> str:
    (folder / "touches.parquet").unlink()
    return r"touches\.parquet is missing"


def tamper_schema(folder: Path) -> str:
    with (folder / "schema.sql").open("a", encoding="utf-8") as fh:
        fh.write("DROP TABLE leads;\n")
    return r"schema\.sql has \d+ bytes, not \d+"


def tamper_count(folder: Path) -> str:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["tables"]["spend"]["rows"] += 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return r"spend\.parquet holds \d+ rows; the manifest says"


def tamper_migration(folder: Path) -> str:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["migrations"].append({"version": 99, "name": "future", "checksum": "x"})
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return r"migration 0099_future, which this version of attribution does not know"


@pytest.mark.parametrize(
    "tamper", [tamper_byte, tamper_missing, tamper_schema, tamper_count, tamper_migration]
)
def test_a_damaged_backup_is_refused_naming_the_file_and_nothing_is_written(
    wh_settings: Settings, tmp_path: Path, tamper: Callable[[Path], str]
) -> None:
    with Pipeline.open(wh_settings) as pipe:
        made = pipe.backup(tmp_path / "backups")
    message = tamper(made.path)
    target = tmp_path / "out" / "restored.duckdb"
    with pytest.raises(BackupError, match=message):
        backup.restore(made.path, target)
    assert not target.parent.exists()


def test_restore_never_overwrites_a_warehouse(wh_settings: Settings, tmp_path: Path) -> None:
    with Pipeline.open(wh_settings) as pipe:
        made = pipe.backup(tmp_path / "backups")
    live = tmp_path / "wh.duckdb"
    before = live.read_bytes()
    with pytest.raises(BackupError, match=r"wh\.duckdb exists; restore into a new file"):
        backup.restore(made.path, live)
    assert live.read_bytes() == before
    (tmp_path / "other.duckdb.wal").write_bytes(b"stale")
    with pytest.raises(BackupError, match=r"other\.duckdb\.wal exists"):
        backup.restore(made.path, tmp_path / "other.duckdb")
    assert not (tmp_path / "other.duckdb").exists()
    with pytest.raises(BackupError, match=r"holds backups, not one backup: restore one of"):
        backup.restore(tmp_path / "backups", tmp_path / "third.duckdb")
    assert sorted(p.name for p in tmp_path.glob("*.duckdb*")) == ["other.duckdb.wal", "wh.duckdb"]


@pytest.fixture
def api(wh_settings: Settings) -> Iterator[tuple[TestClient, Pipeline, dict[str, str]]]:
    with Pipeline.open(wh_settings) as pipe:
        token, _ = create_token(pipe.warehouse, name="ops", capabilities=["backup"])
        yield TestClient(create_app(pipe)), pipe, {"authtoken": token}


def test_the_service_backs_up_over_http_under_its_backups_folder(
    api: tuple[TestClient, Pipeline, dict[str, str]], tmp_path: Path
) -> None:
    client, pipe, auth = api
    answer = client.post("/api/v1/backups", json={"dir": "nightly"}, headers=auth)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    path = Path(body["path"])
    assert path.parent == tmp_path / "backups" / "nightly"
    assert body["status"] is True and body["name"] == path.name
    leads = pipe.warehouse.con.execute("SELECT count(*) FROM leads").fetchall()[0][0]
    assert body["tables"]["leads"] == leads and body["schema_version"] >= 7
    assert backup.verify(path).tables["leads"].rows == leads
    plain = client.post("/api/v1/backups", headers=auth)
    assert plain.status_code == 201 and Path(plain.json()["path"]).parent == tmp_path / "backups"


@pytest.mark.parametrize("bad", ["../x", "..", "/etc", "a/b", ".hidden", "x" * 65])
def test_the_backup_endpoint_refuses_paths(
    api: tuple[TestClient, Pipeline, dict[str, str]], tmp_path: Path, bad: str
) -> None:
    client, _, auth = api
    answer = client.post("/api/v1/backups", json={"dir": bad}, headers=auth)
    assert answer.status_code == 422
    assert "one folder name under the backups folder" in answer.json()["error"]["dir"]
    assert not (tmp_path / "backups").exists() and not (tmp_path / "x").exists()


def test_the_backup_endpoint_needs_the_backup_capability_not_post(
    api: tuple[TestClient, Pipeline, dict[str, str]], tmp_path: Path
) -> None:
    client, pipe, _ = api
    assert client.post("/api/v1/backups", json={"dir": "n"}).status_code == 401
    for can in (["get"], ["get", "post", "put", "delete"]):
        other, _ = create_token(pipe.warehouse, name="-".join(can), capabilities=can)
        answer = client.post("/api/v1/backups", json={"dir": "n"}, headers={"authtoken": other})
        assert answer.status_code == 403
    assert not (tmp_path / "backups").exists()


def test_a_real_server_limits_api_backups_per_hour_and_keeps_the_newest(
    wh_settings: Settings, tmp_path: Path
) -> None:
    """Attack: a `post` token filled the disk with 181 backups in minutes. Now: `backup` only,
    at most api.backups_per_hour (429 with Retry-After past it), api.backups_keep kept."""
    with Pipeline.open(wh_settings) as pipe:
        poster, _ = create_token(pipe.warehouse, name="poster", capabilities=["get", "post"])
        backer, _ = create_token(pipe.warehouse, name="backer", capabilities=["get", "backup"])
    env = {
        **os.environ,
        "ATTRIBUTION_CONFIG": str(tmp_path / "config.yaml"),
        "ATTRIBUTION_API__BACKUPS_PER_HOUR": "3",
        "ATTRIBUTION_API__BACKUPS_KEEP": "2",
    }
    with serving(env, tmp_path / "server.log") as served:
        url = served.url + "/api/v1/backups"
        refused = httpx.post(url, headers={"authtoken": poster}, timeout=60)
        assert refused.status_code == 403
        made = [httpx.post(url, headers={"authtoken": backer}, timeout=60) for _ in range(3)]
        assert [r.status_code for r in made] == [201, 201, 201], made[-1].text
        over = httpx.post(url, headers={"authtoken": backer}, timeout=60)
    assert over.status_code == 429
    wait = int(over.headers["Retry-After"])
    assert 3500 <= wait <= 3600
    assert over.json()["message"] == (
        f"3 backups were made in the last hour (api.backups_per_hour); try again in {wait} s."
    )
    kept = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert kept == sorted(Path(r.json()["path"]).name for r in made[1:])


def test_backup_and_restore_commands(wh_settings: Settings, tmp_path: Path) -> None:
    env = {"ATTRIBUTION_CONFIG": str(tmp_path / "config.yaml")}
    for command in ("backup", "restore"):
        helped = CliRunner().invoke(main, [command, "--help"])
        assert helped.exit_code == 0 and "Example:" in helped.output
    made = CliRunner().invoke(main, ["backup", str(tmp_path / "bk"), "--json"], env=env)
    assert made.exit_code == 0, made.output
    summary = json.loads(made.stdout)
    assert summary["tables"]["leads"] == len(contents(tmp_path / "wh.duckdb")["leads"])
    folder = summary["path"]
    target = tmp_path / "restored.duckdb"
    restored = CliRunner().invoke(main, ["restore", folder, "--to", str(target)])
    assert restored.exit_code == 0, restored.output
    assert f"rows, from {folder}" in restored.output and target.is_file()
    again = CliRunner().invoke(main, ["restore", folder, "--to", str(target)])
    assert again.exit_code == 1 and "exists; restore into a new file" in again.output
    assert "Traceback" not in again.output


def test_backup_command_while_the_service_holds_the_file_points_to_the_api(
    wh_settings: Settings, tmp_path: Path
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
        result = CliRunner().invoke(main, ["backup", str(tmp_path / "bk")], env=env)
    finally:
        holder.communicate("done\n", timeout=30)
    assert result.exit_code == 3
    assert f"in use by process {holder.pid}" in result.output
    assert "POST /api/v1/backups" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "bk").exists()


def _doctor(folder: Path, extra: str) -> None:
    """Append `extra` to the backup's schema.sql and fix the manifest, as an attacker would."""
    schema = folder / "schema.sql"
    schema.write_text(schema.read_text(encoding="utf-8") + extra, encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["schema.sql"] = {
        "size": schema.stat().st_size,
        "sha256": hashlib.sha256(schema.read_bytes()).hexdigest(),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ("COPY (SELECT 42 AS x) TO '{out}' (HEADER false);\n", "COPY (SELECT 42 AS x) TO"),
        ("INSERT INTO leads_evil VALUES (1);\n", "INSERT INTO leads_evil"),
        ("ATTACH '{out}' AS other;\n", "ATTACH"),
    ],
)
def test_restore_refuses_a_doctored_schema_naming_the_statement(
    wh_settings: Settings, tmp_path: Path, extra: str, named: str
) -> None:
    """Attack: schema.sql is not authenticated; a doctored one wrote a file on restore."""
    env = {"ATTRIBUTION_CONFIG": str(tmp_path / "config.yaml")}
    made = CliRunner().invoke(main, ["backup", str(tmp_path / "bk"), "--json"], env=env)
    folder = Path(json.loads(made.stdout)["path"])
    out = tmp_path / "pwned.csv"
    _doctor(folder, extra.format(out=out))
    target = tmp_path / "restored.duckdb"
    result = CliRunner().invoke(main, ["restore", str(folder), "--to", str(target)])
    assert result.exit_code == 1, result.output
    assert "holds a statement a backup never has" in result.output
    assert named in result.output and "Traceback" not in result.output
    assert not out.exists() and not target.exists()


def test_restore_reads_no_file_outside_the_backup(wh_settings: Settings, tmp_path: Path) -> None:
    """A CREATE TABLE ... AS that reads another file is an allowed kind, but file access is off."""
    env = {"ATTRIBUTION_CONFIG": str(tmp_path / "config.yaml")}
    made = CliRunner().invoke(main, ["backup", str(tmp_path / "bk"), "--json"], env=env)
    folder = Path(json.loads(made.stdout)["path"])
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret", encoding="utf-8")
    _doctor(folder, f"CREATE TABLE stolen AS SELECT content FROM read_text('{secret}');\n")
    target = tmp_path / "restored.duckdb"
    result = CliRunner().invoke(main, ["restore", str(folder), "--to", str(target)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f'Cannot access file "{secret}"' in result.output
    assert "file system operations are disabled" in result.output and not target.exists()


def test_a_killed_ingest_leaves_no_upload_after_a_restart(
    wh_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: SIGKILL during an HTTP ingest left the upload (hashed emails) in /tmp. Uploads now
    go to <warehouse folder>/.uploads/attribution-upload-*, and a start removes what is left."""
    seen: list[Path] = []
    with Pipeline.open(wh_settings) as pipe:
        token, _ = create_token(pipe.warehouse, name="loader", capabilities=["post"])
        real = pipe.ingest

        def spy(kind: str, path: Path, **kw: Any) -> BatchSummary:
            seen.append(path)
            return real(kind, path, **kw)

        monkeypatch.setattr(pipe, "ingest", spy)
        client = TestClient(create_app(pipe))
        answer = client.post(
            "/api/v1/ingest/spend",
            json=[{"date": "2026-11-01", "channel": "Email", "amount": 1.5}],
            headers={"authtoken": token},
        )
    assert answer.status_code == 200, answer.text
    assert seen[0].parent.parent == tmp_path / ".uploads"
    assert seen[0].parent.name.startswith("attribution-upload-") and not seen[0].exists()
    # What a SIGKILL mid-ingest leaves, then a restart of the real server:
    stale = tmp_path / ".uploads" / "attribution-upload-killed"
    stale.mkdir()
    (stale / "upload.csv").write_text("email_sha256\nab12\n", encoding="utf-8")
    env = {**os.environ, "ATTRIBUTION_CONFIG": str(tmp_path / "config.yaml")}
    with serving(env, tmp_path / "server.log"):
        assert not stale.exists()
    assert list((tmp_path / ".uploads").iterdir()) == []
