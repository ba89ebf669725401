"""The small-upload path of a leads ingest: a file of a few hundred rows or fewer (an API body)
validated and loaded with less work than the bulk path, with the same rows as its result.

For a file of ten rows DuckDB's cost is per statement, not per row (0.5 to 6 ms a statement):
here the file is read once into an Arrow table (the bulk path's reader, so the same columns and
types, each row's text for the quarantine alongside), validated by one statement over it (the
bulk path's views as CTEs and its validate query) into a second Arrow table, and counted,
deduplicated and summed up in Arrow. No temporary table, view or file copy. Its writes are
grouped with those of the small uploads queued meanwhile (grouped.py)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from attribution.errors import WarehouseError
from attribution.ingest import columns
from attribution.warehouse.connection import Warehouse
from attribution.warehouse.statements import fill, quote_ident, statement

if TYPE_CHECKING:
    from attribution.ingest.kinds import Kind
    from attribution.ingest.loader import BatchSummary, Ingestor, _Staged

# A file's size is known before DuckDB reads it (ingest.small_upload_bytes): choosing is free.
# The readers whose file is read whole (Parquet is read in place, lazily, by the bulk path).
_READERS = ("json_array", "jsonl", "csv")
_ROW, _RAW = "_ingest_row", "_ingest_raw"
_UNKNOWN = "is not in the lead-source registry"
log = logging.getLogger(__name__)


class AlreadyLoaded(Exception):
    """Raised inside the batch transaction to roll back a repeat of a loaded file."""


def refuse_repeat(wh: Warehouse, kind: str, sha: str, summary: BatchSummary) -> None:
    """Raise AlreadyLoaded if the same file of this kind was loaded before, saying which batch
    loaded it (summary.already_loaded_as): the attempt then leaves no trace."""
    previous = wh.fetchone("ingest/find_loaded_file", {"kind": kind, "sha256": sha})
    if previous:
        summary.already_loaded_as = int(previous[0])
        raise AlreadyLoaded()


def eligible(kind: str, reader: str, path: Path, limit: int) -> bool:
    """Whether a file may take the small path: leads, read whole, of 1 to `limit` bytes."""
    if kind != "leads" or reader not in _READERS:
        return False
    return 0 < path.stat().st_size <= limit


def _query_of(name: str, head: str) -> str:
    """The query of sql/NAME.sql, a statement of the bulk path creating a temporary view or
    table (head), for a CTE or a subquery."""
    text = statement(name)
    at = text.find(head)
    if at < 0:
        raise WarehouseError(f"sql/{name}.sql no longer starts with {head!r}")
    return text[at + len(head) :]


def stage(
    ingestor: Ingestor,
    wh: Warehouse,
    kind: Kind,
    path: Path,
    reader: str,
    name: str,
    mapping: dict[str, str],
    summary: BatchSummary,
) -> _Staged | None:
    """Read and validate a small file before the write lock, or None when the bulk path must
    take it (a file DuckDB cannot read or reads as one column, whose error the bulk path words;
    a file with a column named like ours; one whose unknown source names are created)."""
    from attribution.ingest.loader import _Staged

    head = "CREATE OR REPLACE TEMP TABLE ingest_file AS"
    read = fill("ingest_small/read", reader=_query_of(f"ingest/read_{reader}", head))
    try:
        with wh.failures_expected():  # a file DuckDB cannot read is the bulk path's to word
            src, types = wh.arrow_described(read, {"path": str(path)}, name="ingest_small/read")
    except WarehouseError:
        return None
    found = types[:-1]  # the last: the row's text
    if [n for n, _ in types] != src.column_names:
        return None  # a name Arrow cannot carry as DuckDB reads it (a NUL in it)
    if not found or any(n.lower() in (_ROW, _RAW) for n, _ in found):
        return None
    if reader == "csv" and len(found) == 1:
        return None  # maybe a ragged file: the bulk path says which line
    chosen, summary.extra_columns = columns.resolve_columns(kind, found, mapping, name)
    if ingestor.settings.ingest.unknown_sources == "create" and "source" in chosen:
        return None  # names are created under the write lock, then validated: the bulk path
    staged = _Staged(kind, path, reader, name, mapping, chosen, small=True)
    staged.src = src.append_column(_ROW, pa.array(range(1, src.num_rows + 1), pa.int64()))
    staged.cursor = wh
    staged.registry = wh.generation("registry")  # before the reads of it
    validate(ingestor, wh, staged, summary)
    return staged


def _typed(wh: Warehouse, staged: _Staged) -> pa.Table | duckdb.DuckDBPyRelation:
    """The file's rows as the bulk path's table holds them. Arrow carries a JSON column as its
    text (DuckDB's lossless Arrow output would keep the type, but that setting is the whole
    database's and changes every other Arrow result): such a column is cast back to JSON."""
    typed = [n for n, t in staged.chosen.values() if t == "JSON"]
    if not typed:
        return staged.src
    casts = ", ".join(f"CAST({quote_ident(n)} AS JSON) AS {quote_ident(n)}" for n in typed)
    return wh.relation(staged.src).project(f"* REPLACE ({casts})")


def _norm(ingestor: Ingestor, staged: _Staged) -> str:
    """The query of the bulk path's view ingest_norm over this file's columns."""
    utc = ingestor.settings.ingest.timezone == "UTC"
    text = columns.norm_view(staged.kind, staged.chosen, utc)
    return text[text.index(" AS SELECT ") + len(" AS ") :]


def validate(ingestor: Ingestor, wh: Warehouse, staged: _Staged, summary: BatchSummary) -> None:
    """Validate the file's rows as the bulk path does, in one statement over its Arrow table,
    into staged.valid (with the rejected rows' text as read); count them, drop repeats of a
    good row's key, and find the sources it depends on and its commonest reasons in Arrow."""
    named = "source_id" in staged.chosen or "source" in staged.chosen
    sourced = "ingest/resolve_sources" if named else "ingest/sources_unnamed"
    head = "CREATE OR REPLACE TEMP VIEW ingest_sourced AS"
    query = fill(
        "ingest_small/validate",
        sourced=_query_of(sourced, head),
        validate=statement("ingest/leads_validate"),
        norm=_norm(ingestor, staged),  # last: file column names, quoted, go in last
    )
    wh.register("ingest_src", _typed(wh, staged))  # this cursor's only
    default = ingestor.settings.registry.default_source
    valid, _ = wh.arrow_described(query, {"default_source": default}, name="ingest/leads_validate")
    good = pc.is_null(valid["reason"])
    summary.rows_read = valid.num_rows
    summary.rejected = valid.num_rows - int(pc.sum(good).as_py() or 0)
    keys = valid.filter(good)
    if pc.count_distinct(keys["natural_key"]).as_py() < keys.num_rows:
        # The first good row of a key wins (ingest/drop_key_repeats): the rest are duplicates.
        first = keys.group_by("natural_key").aggregate([("row_number", "min")])
        kept = pc.is_in(valid["row_number"], value_set=first["row_number_min"])
        valid = valid.filter(pc.or_(pc.invert(good), kept))
        good = pc.is_null(valid["reason"])
    raw = pc.take(staged.src[_RAW], pc.subtract(valid["row_number"], 1))
    staged.valid = valid.append_column("raw_row", pc.if_else(good, None, raw))
    staged.keys = frozenset(valid.filter(good)["natural_key"].to_pylist())
    summary.top_reasons = _top_reasons(valid["reason"]) if summary.rejected else []
    staged.names = ()
    # No source can take a name that resolved (names are unique) without one of the sources its
    # rows resolved to changing. Only a file naming a source the registry lacks (which may be
    # added meanwhile) needs the ids and names it gives (ingest/staged_sources).
    if summary.rejected and pc.any(pc.match_substring(valid["reason"], _UNKNOWN)).as_py():
        wh.register("ingest_valid", staged.valid)
        text = fill(
            "ingest_small/staged_sources",
            staged=statement("ingest/staged_sources"),
            norm=_norm(ingestor, staged),
        )
        ids, names = wh.execute_text(text, name="ingest/staged_sources").fetchone() or ([], [])
        staged.names = tuple(str(n) for n in names)
        staged.ids = frozenset(int(i) for i in ids)
    else:
        staged.ids = frozenset(
            int(i) for i in pc.unique(valid["source_id"].drop_null()).to_pylist()
        )


def _top_reasons(reasons: pa.ChunkedArray, limit: int = 5) -> list[tuple[str, int]]:
    """The commonest reasons, most frequent first, then by text (ingest/top_reasons)."""
    each = pc.list_flatten(pc.split_pattern(reasons.drop_null(), "; "))
    counts = pc.value_counts(each)
    table = pa.table({"reason": counts.field("values"), "rows": counts.field("counts")})
    table = table.sort_by([("rows", "descending"), ("reason", "ascending")]).slice(0, limit)
    return list(zip(table["reason"].to_pylist(), table["rows"].to_pylist(), strict=True))
