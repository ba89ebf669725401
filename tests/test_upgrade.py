"""Upgrades: a warehouse made by an early schema, with data written through that schema, opens
with the current code, which applies every later migration in order, loses no row, and works."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from attribution.cli import main
from attribution.config import Settings
from attribution.engine import runs
from attribution.reporting import report
from attribution.reporting.period import Period
from attribution.reporting.report import ReportSpec
from attribution.service.pipeline import Pipeline
from attribution.warehouse import backup
from attribution.warehouse import connection as warehouse_module
from attribution.warehouse.connection import SCHEMA_DIR, Warehouse, migrations

from .conftest import MakeSettings, write_csv

# Rows written through schema 0001 (registry, batches, facts, rejected rows) ...
DATA_0001 = [
    "INSERT INTO lead_sources (name, name_key, channel, utm_source, utm_medium) "
    "VALUES ('Newsletter', 'newsletter', 'Email', 'newsletter', 'email')",
    "INSERT INTO ingest_batches (kind, file_name, file_format, sha256, rows_read, rows_loaded, "
    "rows_rejected, extra_columns, column_map, started_at, finished_at, status) VALUES "
    "('leads', 'l.csv', 'csv', 'a1', 4, 3, 1, ['note'], '{}', '2026-03-05 08:00', "
    "'2026-03-05 08:00:01', 'loaded'), "
    "('touches', 't.csv', 'csv', 'a2', 3, 3, 0, NULL, '{}', '2026-03-05 08:01', "
    "'2026-03-05 08:01:01', 'loaded'), "
    "('revenue', 'r.csv', 'csv', 'a3', 1, 1, 0, NULL, '{}', '2026-03-05 08:02', "
    "'2026-03-05 08:02:01', 'loaded'), "
    "('spend', 's.csv', 'csv', 'a4', 1, 1, 0, NULL, '{}', '2026-03-05 08:03', "
    "'2026-03-05 08:03:01', 'loaded')",
    "INSERT INTO leads VALUES "
    "('L1', '2026-03-02 09:00', 1, 'google', 'cpc', 'spring', 'customer', 'e1', "
    "'2026-03-04 10:00', 100.00, false, false, 1, 1), "
    "('L2', '2026-03-03 11:00', 3, 'newsletter', 'email', NULL, 'new', NULL, NULL, NULL, "
    "false, false, 1, 2), "
    "('L3', '2026-03-03 12:00', NULL, NULL, NULL, NULL, 'junk', NULL, NULL, NULL, "
    "true, true, 1, 3)",
    "INSERT INTO rejected_rows VALUES (1, 4, 'created_at is missing', '{\"lead_id\": \"L9\"}')",
    "INSERT INTO touches VALUES "
    "(CAST('0x' || md5('T1') AS UHUGEINT), 'T1', 'L1', '2026-03-01 08:00', 'Paid Search', 1, "
    "'google', 'cpc', 'spring', 2, 1), "
    "(CAST('0x' || md5('T2') AS UHUGEINT), 'T2', 'L1', '2026-03-03 08:00', 'Email', 3, "
    "'newsletter', 'email', NULL, 2, 2), "
    "(CAST('0x' || md5('T3') AS UHUGEINT), NULL, 'L2', '2026-03-03 10:00', 'Email', 3, "
    "NULL, NULL, NULL, 2, 3)",
    "INSERT INTO revenue_events VALUES "
    "('E1', 'L1', '2026-03-04 10:00', 250.00, 'won', 'EUR', 230.00, 3, 1)",
    "INSERT INTO spend VALUES ('2026-03-02', 1, 'Paid Search', '', 40.00, 'USD', 40.00, 4, 1)",
]
# ... and through 0002 to 0004 (tokens, a stored run with its drill-down).
DATA_0004 = [
    *DATA_0001,
    "INSERT INTO api_tokens (name, token_sha256, prefix, capabilities) "
    "VALUES ('legacy', repeat('ab', 32), 'attr_abcdef', 'get,post')",
    "INSERT INTO attribution_runs (created_at, window_start, window_end, lookback_days, models, "
    "transforms, conversion_kinds, direct_channels, markov_order, half_life_days, input_hash, "
    "conversions, conversions_without_touches, non_converting, touches_too_early, "
    "touches_after_conversion, seconds) VALUES ('2026-03-09 06:00', '2026-03-02', '2026-03-09', "
    "30, ['linear'], [], ['won'], ['Direct'], 1, 7, 'h1', 1, 0, 1, 0, 0, 0.25)",
    "INSERT INTO channel_credits VALUES (1, 'linear', 'Paid Search', 0.5, 125, NULL, NULL), "
    "(1, 'linear', 'Email', 0.5, 125, NULL, NULL)",
    "INSERT INTO source_credits VALUES (1, 'linear', 1, 0.5, 125), (1, 'linear', 3, 0.5, 125)",
    "INSERT INTO run_conversion_ids VALUES (1, 1, 'E1')",
    "INSERT INTO conversion_credits VALUES (1, 'linear', 1, 'Paid Search', 0.5, 125), "
    "(1, 'linear', 1, 'Email', 0.5, 125)",
]
CASES = {"0001": (1, DATA_0001), "0001-0004": (4, DATA_0004)}


# Tables a migration renamed (new name: old name), whose old name is now a view over them.
RENAMED = {"conversion_credit_rows": "conversion_credits"}  # 0014


def tables(wh: Warehouse) -> dict[str, list[str]]:
    """Each table's columns, in order."""
    found: dict[str, list[str]] = {}
    for table, column in wh.con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal "
        "ORDER BY table_name, column_index"
    ).fetchall():
        found.setdefault(table, []).append(column)
    return found


def contents(wh: Warehouse, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    cols = ", ".join(f'"{c}"' for c in columns)
    return wh.con.execute(f'SELECT {cols} FROM "{table}" ORDER BY ALL').fetchall()


def _without_key(rows: list[tuple[Any, ...]], columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows of touches without their touch_key, in order."""
    at = columns.index("touch_key")
    return sorted((r[:at] + r[at + 1 :] for r in rows), key=repr)


def old_warehouse(path: Path, last: int, statements: list[str], tmp: Path) -> None:
    """A warehouse made by migrations up to `last` only, filled through that schema."""
    early = tmp / "early-schema"
    early.mkdir()
    for mig in migrations():
        if mig.version <= last:
            shutil.copy(SCHEMA_DIR / f"{mig.version:04d}_{mig.name}.sql", early)
    real = migrations
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(warehouse_module, "migrations", lambda folder=early: real(folder))
        with Warehouse.open_path(path) as wh:  # migrate() sees only the early files
            assert [m.version for m in wh.applied_list()] == list(range(1, last + 1))
            for sql in statements:
                wh.con.execute(sql)


@pytest.fixture(params=sorted(CASES))
def upgraded(
    request: pytest.FixtureRequest, make_settings: MakeSettings, tmp_path: Path
) -> tuple[Settings, int, dict[str, list[str]], dict[str, list[tuple[Any, ...]]]]:
    last, statements = CASES[request.param]
    settings = make_settings()
    path = settings.resolve(settings.warehouse.path)
    old_warehouse(path, last, statements, tmp_path)
    with Warehouse.open_path(path, upgrade=False) as wh:
        before_tables = tables(wh)
        before = {t: contents(wh, t, cols) for t, cols in before_tables.items()}
    return settings, last, before_tables, before


Upgraded = tuple[Settings, int, dict[str, list[str]], dict[str, list[tuple[Any, ...]]]]


def test_every_later_migration_applies_in_order_and_no_row_is_lost(upgraded: Upgraded) -> None:
    settings, last, before_tables, before = upgraded
    path = settings.resolve(settings.warehouse.path)
    later = [m.version for m in migrations() if m.version > last]
    with Warehouse.open_path(path, upgrade=False) as wh:
        assert [m.version for m in wh.migrate()] == later
    with Warehouse.open_path(path) as wh:  # as the service opens it: nothing left to apply
        assert wh.migrate() == []
        recorded = wh.con.execute(
            "SELECT version, applied_at FROM schema_migrations ORDER BY version"
        ).fetchall()
        assert [v for v, _ in recorded] == [m.version for m in migrations()]
        assert [t for _, t in recorded] == sorted(t for _, t in recorded)  # applied in order
        after_tables = tables(wh)
        assert set(after_tables) >= set(before_tables)
        widened: set[str] = set()
        for table, columns in before_tables.items():
            assert after_tables[table][: len(columns)] == columns, table
            now = contents(wh, table, columns)
            if table == "schema_migrations":  # the old records stay; the new ones follow
                now = [r for r in now if r[0] <= last]
            if table == "touches":  # 0018 keyed the touches without a touch_id again
                now, was = _without_key(now, columns), _without_key(before[table], columns)
                assert now == was, table
                continue
            assert now == before[table], table
            added = [c for c in after_tables[table][len(columns) :] if c != "lead_no"]
            if added and before[table]:  # columns a migration added: NULL in older rows
                widened.add(table)
                nulls = " AND ".join(f'"{c}" IS NULL' for c in added)
                everything = wh.con.execute(
                    f'SELECT count(*) = count(*) FILTER (WHERE {nulls}) FROM "{table}"'
                ).fetchall()
                assert everything == [(True,)], table
        for table in set(after_tables) - set(before_tables) - {"schema_migrations"}:
            old = RENAMED.get(table)  # a renamed table keeps its rows, the old name a view
            want = before.get(old, []) if old else []
            assert contents(wh, table, after_tables[table]) == want, table
        assert sum(len(r) for r in before.values()) >= 12
        # 0005 added columns to the run drill-down tables that 0004 made; 0008 the run's engine
        made_in_0004 = {"source_credits", "run_conversion_ids", "attribution_runs"}
        assert widened == (made_in_0004 if last >= 4 else set())
        # 0016 numbered the old leads (batch high, row low); their touches and revenue follow
        numbered = wh.con.execute(
            "SELECT lead_id, lead_no = (CAST(batch_id AS BIGINT) << 32) + row_number "
            "FROM leads ORDER BY lead_id"
        ).fetchall()
        assert numbered == [("L1", True), ("L2", True), ("L3", True)]
        for kind in ("touches", "revenue_events"):
            carried = wh.con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE e.lead_no = l.lead_no) FROM {kind} AS e "
                "JOIN leads AS l USING (lead_id)"
            ).fetchall()
            assert carried == [(len(before[kind]), len(before[kind]))], kind
        # 0018 keyed the touch without a touch_id by its lead's number, time and what touched
        rekeyed = wh.con.execute(
            "SELECT touch_id, touch_key = CASE WHEN touch_id IS NOT NULL "
            "THEN CAST('0x' || md5(touch_id) AS UHUGEINT) "  # as written through 0001
            "ELSE (CAST(lead_no AS UHUGEINT) << 64) | xor(CAST(epoch_us(occurred_at) AS UBIGINT), "
            "md5_number_lower('Email|3|||')) END FROM touches ORDER BY row_number"
        ).fetchall()
        assert rekeyed == [("T1", True), ("T2", True), (None, True)]
        # the sequences carry on after the old rows
        assert wh.con.execute(
            "INSERT INTO lead_sources (name, name_key) VALUES ('Later', 'later') RETURNING id"
        ).fetchall() == [(4,)]


def test_the_service_works_on_an_upgraded_warehouse(upgraded: Upgraded, tmp_path: Path) -> None:
    settings, _, _, before = upgraded
    old_runs = len(before.get("attribution_runs", []))
    leads = write_csv(
        tmp_path / "leads.csv",
        ["lead_id", "created_at", "source"],
        [["L4", "2026-03-05 09:00", "Google"]],
    )
    touches = write_csv(
        tmp_path / "touches.csv",
        ["lead_id", "occurred_at", "source"],
        [["L4", "2026-03-04 09:00", "Newsletter"], ["L4", "2026-03-05 08:00", "Google"]],
    )
    revenue = write_csv(
        tmp_path / "revenue.csv",
        ["event_id", "lead_id", "occurred_at", "amount", "currency"],
        [["E2", "L4", "2026-03-06 12:00", "80", settings.ingest.base_currency]],
    )
    with Pipeline.open(settings) as pipe:
        loaded = [pipe.ingest(kind, f) for kind, f in [("leads", leads), ("touches", touches)]]
        loaded.append(pipe.ingest("revenue", revenue))
        assert [s.loaded for s in loaded] == [1, 2, 1]
        assert [s.batch_id for s in loaded] == [5, 6, 7]  # after the four old batches
        window = runs.RunSpec(datetime(2026, 3, 2), datetime(2026, 3, 9), models=("linear",))
        result = runs.run(pipe.warehouse, window)
        assert result.run_id == old_runs + 1
        assert result.journeys.converting == 2  # E1, written through the old schema, and E2
        (credit,) = result.credits
        assert float(credit.value.sum()) == pytest.approx(250 + 80)
        stored = pipe.warehouse.con.execute(
            "SELECT sum(value) FROM channel_credits WHERE run_id = ?", [result.run_id]
        ).fetchall()
        assert stored[0][0] == pytest.approx(250 + 80)
        built = report.build(
            pipe.warehouse,
            ReportSpec(period=Period.week("2026-W10"), models=("linear", "last_touch")),
            tmp_path / "reports",
            base_currency=settings.ingest.base_currency,
        )
    assert built.index.is_file() and built.run_id == old_runs + 2
    assert built.manifest["label"] == "2026-W10"


def test_a_backup_taken_before_an_upgrade_keeps_the_old_schema_and_restores_upgraded(
    upgraded: Upgraded, tmp_path: Path
) -> None:
    settings, last, _, before = upgraded
    path = settings.resolve(settings.warehouse.path)
    env = {"ATTRIBUTION_CONFIG": str(tmp_path / "config.yaml")}
    made = CliRunner().invoke(main, ["backup", str(tmp_path / "bk"), "--json"], env=env)
    assert made.exit_code == 0, made.output
    folder = Path(json.loads(made.stdout)["path"])
    manifest = backup.verify(folder)
    assert [m.version for m in manifest.migrations] == list(range(1, last + 1))
    with Warehouse.open_path(path, upgrade=False) as wh:  # the backup did not upgrade the file
        assert [m.version for m in wh.applied_list()] == list(range(1, last + 1))
    done = backup.restore(folder, tmp_path / "restored.duckdb")
    later = [f"{m.version:04d}_{m.name}" for m in migrations() if m.version > last]
    assert done.migrations_applied == later
    with Warehouse.open_path(done.path, upgrade=False) as wh:
        assert wh.migrate() == []
        assert contents(wh, "leads", ["lead_id", "value"]) == [
            (r[0], r[9]) for r in sorted(before["leads"], key=lambda r: str(r[0]))
        ]


def test_init_says_which_migrations_upgrade_an_old_warehouse(
    make_settings: MakeSettings, tmp_path: Path
) -> None:
    settings = make_settings()
    path = settings.resolve(settings.warehouse.path)
    last, statements = CASES[sorted(CASES)[-1]]
    old_warehouse(path, last, statements, tmp_path)
    env = {"ATTRIBUTION_WAREHOUSE__PATH": str(path)}
    done = CliRunner().invoke(main, ["init"], env=env)
    assert done.exit_code == 0, done.output
    later = [m for m in migrations() if m.version > last]
    said = [line for line in done.stderr.splitlines() if line.startswith("upgrading")]
    assert said == [f"upgrading the warehouse: {m.version:04d}_{m.name} ..." for m in later]
    assert f"is at schema {migrations()[-1].version:04d}" in done.stdout
    again = CliRunner().invoke(main, ["init"], env=env)  # up to date: nothing to say
    assert again.exit_code == 0 and "upgrading" not in again.stderr


L1, L2 = (1 << 32) + 1, (1 << 32) + 2


def _md5_key(*fields: str) -> int:
    """md5 of the fields joined by |, read as DuckDB's md5_number."""
    return int.from_bytes(hashlib.md5("|".join(fields).encode()).digest(), "little")


def _lead_key(lead_no: int, when: str, *what: str) -> int:
    """A touch key without a touch_id (docs/warehouse.md), spelled out as tests/test_ingest.py
    spells it."""
    digest = hashlib.md5("|".join(what).encode()).digest()
    epoch_us = int(datetime.fromisoformat(when).timestamp()) * 10**6
    return (lead_no << 64) | (epoch_us ^ int.from_bytes(digest[8:], "little"))


# Leads and touches as the ingest before 0018 stored them at schema 0016: the touches keyed by md5
# of 'id:' and the touch_id, or of h|lead_id|epoch microseconds|channel|source_id given|source
# name given, lower-cased|utm_source|utm_medium|utm_campaign.
OLD_KEYS = [
    _md5_key("id:T1"),
    _md5_key("h", "L1", str(1772442000 * 10**6), "Email", "", "", "newsletter", "email", ""),
    _md5_key("h", "L2", str(1772532000 * 10**6), "", "", "google", "", "", ""),
]
DATA_0016 = [
    "INSERT INTO ingest_batches (kind, file_name, file_format, sha256, rows_read, rows_loaded, "
    "extra_columns, column_map, started_at, finished_at, status) VALUES "
    "('leads', 'l.csv', 'csv', 'a1', 2, 2, NULL, '{}', '2026-03-05 08:00', "
    "'2026-03-05 08:00:01', 'loaded'), "
    "('touches', 't.csv', 'csv', 'a2', 3, 3, NULL, '{}', '2026-03-05 08:01', "
    "'2026-03-05 08:01:01', 'loaded')",
    "INSERT INTO leads (lead_id, created_at, batch_id, row_number, lead_no) VALUES "
    "('L1', '2026-03-02 09:00', 1, 1, 4294967297), ('L2', '2026-03-03 11:00', 1, 2, 4294967298)",
    "INSERT INTO touches VALUES "
    f"({OLD_KEYS[0]}, 'T1', 'L1', '2026-03-01 08:00', 'Paid Search', 1, 'google', 'cpc', "
    "'spring', 2, 1, 4294967297), "
    f"({OLD_KEYS[1]}, NULL, 'L1', '2026-03-02 09:00', 'Email', NULL, 'newsletter', 'email', "
    "NULL, 2, 2, 4294967297), "
    f"({OLD_KEYS[2]}, NULL, 'L2', '2026-03-03 10:00', NULL, 1, NULL, NULL, NULL, 2, 3, "
    "4294967298)",
]


def test_touches_keyed_before_0018_dedupe_a_new_load_of_the_same_rows(
    make_settings: MakeSettings, tmp_path: Path
) -> None:
    settings = make_settings()
    old_warehouse(settings.resolve(settings.warehouse.path), 16, DATA_0016, tmp_path)
    header = ["touch_id", "lead_id", "occurred_at", "channel", "source", "utm_source"]
    header += ["utm_medium", "utm_campaign"]
    rows = [
        ["T1", "L1", "2026-03-01 08:00", "Paid Search", "Google", "google", "cpc", "spring"],
        ["", "L1", "2026-03-02 09:00", "Email", "", "newsletter", "email", ""],
        ["", "L2", "2026-03-03 10:00", "", "Google", "", "", ""],
    ]
    again = [*rows, ["", "L2", "2026-03-03 10:00", "Email", "Google", "", "", ""]]  # a new one
    with Pipeline.open(settings) as pipe:  # applies 0018
        s = pipe.ingest("touches", write_csv(tmp_path / "t.csv", header, again))
        assert (s.loaded, s.duplicates, s.rejected) == (1, 3, 0)
        keys = pipe.warehouse.con.execute(
            "SELECT CAST(touch_key AS VARCHAR) FROM touches ORDER BY batch_id, row_number"
        ).fetchall()
    lead_keyed = [
        _lead_key(L1, "2026-03-02T09:00:00+00:00", "Email", "", "newsletter", "email", ""),
        _lead_key(L2, "2026-03-03T10:00:00+00:00", "", "1", "", "", ""),
        _lead_key(L2, "2026-03-03T10:00:00+00:00", "Email", "1", "", "", ""),
    ]
    assert [int(k) for (k,) in keys] == [OLD_KEYS[0], *lead_keyed]
