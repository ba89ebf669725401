"""The warehouse: migrations, the SQL funnel, and a clear message when another process holds it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from attribution.config import Settings
from attribution.errors import NotFoundError, WarehouseError, WarehouseLockedError
from attribution.warehouse.connection import Warehouse, migrations
from attribution.warehouse.statements import statement

ROOT = Path(__file__).resolve().parent.parent  # the repository


def test_migrations_apply_once_then_are_no_ops(settings: Settings) -> None:
    with Warehouse.open(settings) as wh:
        versions = [m.version for m in wh.applied_list()]
        assert versions == [m.version for m in migrations()]
        assert wh.migrate() == []
    with Warehouse.open(settings) as wh:
        assert wh.migrate() == []
        rows = wh.con.execute("SELECT version FROM schema_migrations").fetchall()
        assert [r[0] for r in rows] == versions


def test_fresh_registry_is_seeded_like_the_crm(settings: Settings) -> None:
    with Warehouse.open(settings) as wh:
        rows = wh.con.execute("SELECT id, name FROM lead_sources ORDER BY id").fetchall()
    assert rows == [(1, "Google"), (2, "Facebook")]


def test_an_edited_applied_migration_is_refused(settings: Settings) -> None:
    with Warehouse.open(settings) as wh:
        wh.con.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
    with pytest.raises(WarehouseError, match="was changed after it was applied"):
        Warehouse.open(settings)


def test_unknown_statement_names_what_exists() -> None:
    with pytest.raises(NotFoundError, match="leads_insert"):
        statement("ingest/no_such_statement")


def test_every_sql_file_opens_with_a_header_comment() -> None:
    for path in (ROOT / "sql").rglob("*.sql"):
        assert path.read_text(encoding="utf-8").startswith("--"), path


HOLD = """
import sys, time, duckdb

con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
time.sleep(60)
"""


Held = tuple[Path, "subprocess.Popen[str]"]


@pytest.fixture
def held_file(tmp_path: Path) -> Iterator[Held]:
    path = tmp_path / "held.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    yield path, proc
    proc.kill()
    proc.wait()


def test_second_process_gets_a_clear_message_naming_the_holder(held_file: Held) -> None:
    path, proc = held_file
    with pytest.raises(WarehouseLockedError) as info:
        Warehouse.open_path(path)
    assert info.value.pid == proc.pid
    message = str(info.value)
    assert f"process {proc.pid}" in message
    assert "POST /api/v1/ingest" in message
    assert "Traceback" not in message


def test_cli_reports_the_lock_without_a_traceback(held_file: Held) -> None:
    path, proc = held_file
    env = {"ATTRIBUTION_WAREHOUSE__PATH": str(path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "attribution", "init"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert f"process {proc.pid}" in result.stderr
    assert "Traceback" not in result.stderr
