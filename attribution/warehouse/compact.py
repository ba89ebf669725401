"""Compaction: DuckDB reuses the space of deleted rows but rarely gives it back, so a file
keeps its largest size. A fresh copy of the database (COPY FROM DATABASE, as the snapshot is
made) holds the same tables, rows and sequences without that free space; checked table by
table, it replaces the file atomically. It needs the file to itself: no other connection."""

from __future__ import annotations

import os
from pathlib import Path

from attribution.errors import WarehouseError
from attribution.warehouse.connection import Warehouse
from attribution.warehouse.statements import fill, quote_ident

COPY = "compact_copy"  # the attached copy's name (sql/warehouse/attach_compact.sql)


def _rows(wh: Warehouse, database: str) -> dict[tuple[str, str], int]:
    """Each table of an attached database with its row count."""
    found = {}
    for schema, table in wh.fetchall("warehouse/tables", {"database": database}):
        name = ".".join(quote_ident(part) for part in (database, schema, table))
        sql = fill("warehouse/count_rows", table=name)
        found[(schema, table)] = int(wh.execute_text(sql, name=table).fetchall()[0][0])
    return found


def compact(path: Path, *, memory_limit: str = "", threads: int = 0) -> tuple[int, int]:
    """Rewrite the warehouse file at `path` as a fresh copy; its sizes before and after."""
    tmp = path.with_name(path.name + ".compact")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)  # left by a compaction that stopped half-way
    wal = path.with_name(path.name + ".wal")
    before = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    with Warehouse.open_path(path, memory_limit=memory_limit, threads=threads) as wh:
        wh.execute("warehouse/checkpoint")
        source = str(wh.scalar("warehouse/current_database"))
        wh.execute("warehouse/detach_compact")
        wh.execute("warehouse/attach_compact", {"path": str(tmp)})
        try:
            wh.execute_text(fill("warehouse/copy_compact", warehouse=quote_ident(source)))
            same = _rows(wh, source) == _rows(wh, COPY)
        finally:
            wh.execute("warehouse/detach_compact")
    if not same or wal.exists():
        tmp.unlink(missing_ok=True)
        why = "its copy's rows differ" if not same else "its write-ahead log was not folded in"
        raise WarehouseError(f"could not compact {path}: {why}; the file is unchanged")
    os.replace(tmp, path)  # atomic: the old file or the new one, never half of either
    return before, path.stat().st_size
