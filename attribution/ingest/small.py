"""The small-upload path of a leads ingest: a file of a few hundred rows or fewer (an API body)
validated and loaded with less work than the bulk path, with the same rows as its result.

For a file of ten rows DuckDB's cost is per statement and per operator, not per row (about 1 to
5 ms a statement). Here the counts and the sources the file depends on are one pass over the
validated rows (sql/ingest_small/summary.sql), the rejected rows are quarantined straight from
the validated rows, the update and insert of leads are one MERGE that also says which sources
gained leads (for the caches), and the batch record is written once, with its counts. The
validate query, the keys, the dedupe and the rejected rows are the bulk path's own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from attribution import clock
from attribution.warehouse.connection import Warehouse

if TYPE_CHECKING:
    from attribution.ingest.loader import BatchSummary, Ingestor, _Staged

# A file's size is known before DuckDB reads it (ingest.small_upload_bytes): choosing is free.
# The readers whose file is read into a table first (Parquet is read in place, lazily).
_READERS = ("json_array", "jsonl", "csv")


class AlreadyLoaded(Exception):
    """Raised inside the batch transaction to roll back a repeat of a loaded file."""


def refuse_repeat(wh: Warehouse, kind: str, sha: str, summary: BatchSummary) -> None:
    """Raise AlreadyLoaded if the same file of this kind was loaded before, saying which batch
    loaded it (summary.already_loaded_as): the attempt then leaves no trace."""
    previous = wh.fetchone("ingest/find_loaded_file", {"kind": kind, "sha256": sha})
    if previous:
        summary.already_loaded_as = int(previous[0])
        raise AlreadyLoaded()


def eligible(kind: str, reader: str, path: Path, creates: bool, limit: int) -> bool:
    """Whether a file takes the small path: leads, read into a table, that create no sources
    (those are validated under the write lock), of at most `limit` bytes."""
    if kind != "leads" or reader not in _READERS or creates:
        return False
    return path.stat().st_size <= limit


def validate(ingestor: Ingestor, wh: Warehouse, staged: _Staged, summary: BatchSummary) -> None:
    """Validate the file into ingest_valid as the bulk path does, then count it and find the
    sources it depends on in one pass; its commonest reasons only when it has rejected rows."""
    named = "source_id" in staged.chosen or "source" in staged.chosen
    wh.execute("ingest/resolve_sources" if named else "ingest/sources_unnamed")
    ingestor._store_valid(wh, staged.kind, staged.chosen)
    row = wh.fetchone("ingest_small/summary")
    assert row is not None  # an aggregate: always one row
    read, rejected, repeats, ids, unknown = row
    summary.rows_read, summary.rejected = int(read), int(rejected)
    if repeats:
        wh.execute("ingest/drop_key_repeats")
    summary.top_reasons = []
    if summary.rejected:
        reasons = wh.fetchall("ingest/top_reasons", {"limit": 5})
        summary.top_reasons = [(str(r), int(n)) for r, n in reasons]
    # The sources its rows resolved to: no source can take a name that resolved (names are
    # unique) without one of these changing. Only a file naming a source the registry lacks
    # (which may be added meanwhile) needs the ids and names it gives.
    if unknown:
        ids, names = wh.fetchone("ingest/staged_sources") or ([], [])
        staged.names = tuple(str(n) for n in names)
    else:
        staged.names = ()
    staged.ids = frozenset(int(i) for i in ids)


def run_batch(
    ingestor: Ingestor,
    wh: Warehouse,
    staged: _Staged,
    label: str,
    sha: str,
    summary: BatchSummary,
) -> list[int]:
    """The batch's writes in one transaction, under the write lock; returns the sources whose
    lead counts grew. AlreadyLoaded rolls back a repeat of a loaded file."""
    with wh.transaction():
        started = clock.utc_now()
        batch_id = int(wh.scalar("ingest_small/next_batch_id"))
        if not ingestor._still_valid(wh, staged):
            validate(ingestor, wh, staged, summary)
        if summary.rejected:
            wh.execute("ingest_small/insert_rejected", {"batch_id": batch_id})
        done = wh.fetchall("ingest_small/leads_merge", {"batch_id": batch_id})
        summary.loaded = sum(1 for action, _ in done if action == "INSERT")
        summary.updated = len(done) - summary.loaded
        summary.duplicates = summary.rows_read - summary.rejected - len(done)
        if not done:  # only a batch that added nothing can be a repeat
            refuse_repeat(wh, staged.kind, sha, summary)
        wh.execute(
            "ingest_small/record_batch",
            {
                "batch_id": batch_id,
                "kind": staged.kind,
                "file_name": staged.name,
                "file_format": label,
                "sha256": sha,
                "extra_columns": summary.extra_columns,
                "column_map": json.dumps(staged.mapping, sort_keys=True),
                "started_at": started,
                "rows_read": summary.rows_read,
                "rows_loaded": summary.loaded,
                "rows_updated": summary.updated,
                "rows_duplicate": summary.duplicates,
                "rows_rejected": summary.rejected,
                "sources_created": 0,
                "finished_at": clock.utc_now(),
            },
        )
        summary.batch_id = batch_id
    return sorted({int(s) for action, s in done if action == "INSERT" and s is not None})
