"""The writes of small uploads of leads (small.py), grouped: uploads that queue for the write
lock together are written by one set of statements in one transaction (group commit,
warehouse/batching.py), each still whole or not at all and answered with its own counts.

A group takes its batch ids, merges the good leads of all its uploads in one MERGE, checks the
uploads that added nothing for a repeat of a loaded file (refused, having written nothing),
quarantines the rejected rows and writes the batch records, one statement each, and hands the
rows of the sources that gained leads to the read caches. Uploads that share a lead, or the
same file twice, never share a group; should a statement fail, each upload runs alone. The
queue holds only small uploads, so each one's validation, made before the lock, is checked
against committed registry changes only (validated again when one touches what it read)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from attribution import clock
from attribution.errors import AttributionError, WarehouseError
from attribution.ingest import small
from attribution.warehouse.batching import Combine
from attribution.warehouse.connection import Change, Warehouse
from attribution.warehouse.statements import statement

if TYPE_CHECKING:
    from attribution.ingest.loader import BatchSummary, Ingestor, _Staged

GROUP = "small-leads"  # the key of the jobs that may share statements


@dataclass
class Part:
    """One small upload waiting to be written."""

    ingestor: Ingestor
    staged: _Staged
    label: str
    sha: str
    summary: BatchSummary


def write(
    ingestor: Ingestor, wh: Warehouse, staged: _Staged, label: str, sha: str, summary: BatchSummary
) -> None:
    """Write a validated small upload with those queued meanwhile; raises AlreadyLoaded for a
    repeat of a loaded file (which then leaves no trace)."""
    part = Part(ingestor, staged, label, sha, summary)
    claims = frozenset({("lead", k) for k in staged.keys} | {("sha", sha)})

    def alone(db: Warehouse, change: Change) -> None:
        outcome = run(db, [part], [change])[0]
        if isinstance(outcome, BaseException):
            raise outcome

    try:
        wh.batched_ingest(alone, Combine(GROUP, part, claims, run))
    except Repeat:
        raise small.AlreadyLoaded() from None


class Repeat(AttributionError):
    """An upload repeating a loaded file, refused in its group (write() raises AlreadyLoaded)."""


class _RolledBack(Exception):
    """Rolls back the transaction a repeat takes its batch id in."""


def run(db: Warehouse, parts: list[Part], changes: list[Change]) -> list[Any]:
    """The writes of these uploads, in the caller's transaction: each one's outcome, None or
    its refusal (AlreadyLoaded), and its change (the sources that gained leads, their rows)."""
    started = clock.utc_now()
    for part, change in zip(parts, changes, strict=True):
        change.keys, change.rows = set(), {}  # a refused upload changed nothing
        if not part.ingestor.still_valid(db, part.staged):
            # On the upload's own cursor, whose session reads its times (its thread waits).
            small.validate(part.ingestor, part.staged.cursor, part.staged, part.summary)
    outcomes = _repeats(db, parts)
    kept = [p for p, o in zip(parts, outcomes, strict=True) if o is None]
    if not kept:
        return outcomes
    rows = db.fetchall("ingest_small/next_batch_ids", {"batches": len(kept)})
    ids = sorted(int(r[0]) for r in rows)
    valid = pa.concat_tables(
        [
            p.staged.valid.append_column(
                "batch_id", pa.array(np.full(p.staged.valid.num_rows, i, np.int32))
            )
            for p, i in zip(kept, ids, strict=True)
        ]
    )
    keys = valid.filter(pc.is_null(valid["reason"]))["natural_key"]
    if len(kept) > 1 and pc.count_distinct(keys).as_py() < len(keys):
        # A validation made again gave two uploads a lead in common: one MERGE cannot apply
        # them in order. The group runs again, each upload alone.
        raise WarehouseError("uploads of a group share a lead: each is written alone")
    db.register("ingest_valid", valid)
    done = _merged(db, valid)
    for part, i in zip(kept, ids, strict=True):
        mine = done.filter(pc.equal(done["batch_id"], i))
        summary = part.summary
        summary.loaded = int(pc.sum(pc.equal(mine["action"], "INSERT")).as_py() or 0)
        summary.updated = mine.num_rows - summary.loaded
        summary.duplicates = summary.rows_read - summary.rejected - mine.num_rows
    if pc.sum(pc.is_valid(valid["reason"])).as_py():
        db.execute("ingest_small/insert_rejected")
    _record(db, kept, ids, started)
    for part, i in zip(kept, ids, strict=True):
        part.summary.batch_id = i
    _hand_over(
        db, kept, [c for c, o in zip(changes, outcomes, strict=True) if o is None], done, ids
    )
    db.unregister("ingest_valid", "ingest_records")  # the connection is a worker thread's, kept
    return outcomes


def _repeats(db: Warehouse, parts: list[Part]) -> list[Any]:
    """For each upload, Repeat if it repeats a loaded file and would add or change no lead
    (refused before it writes: it leaves no trace), else None."""
    outcomes: list[Any] = [None] * len(parts)
    loaded = dict(db.fetchall("ingest_small/loaded_files", {"shas": [p.sha for p in parts]}))
    for at, part in enumerate(parts):
        if part.sha not in loaded:
            continue
        db.register("ingest_valid", part.staged.valid)
        if not db.scalar("ingest_small/leads_changing"):
            summary = part.summary
            summary.loaded = summary.updated = 0
            summary.duplicates = summary.rows_read - summary.rejected
            summary.already_loaded_as = int(loaded[part.sha])
            outcomes[at] = Repeat()
            # As on the bulk path, a repeat takes a batch id in a transaction rolled back: the
            # ids that follow are the same on both paths (and, the id unlogged, after a restart),
            # until a group is written again upload by upload: the ids its failed attempt took
            # are not given back (ids stay unique, with gaps).
            try:
                with part.staged.cursor.transaction():
                    part.staged.cursor.fetchall("ingest_small/next_batch_ids", {"batches": 1})
                    raise _RolledBack()
            except _RolledBack:
                pass
    return outcomes


def _merged(db: Warehouse, valid: pa.Table) -> pa.Table:
    """MERGE the group's good leads: what was done to each lead added or changed (action:
    INSERT, UPDATE), its source and the batch of the upload that had it."""
    good = valid.filter(pc.is_null(valid["reason"]))
    if not good.num_rows:
        return pa.table(
            {
                "action": pa.array([], pa.string()),
                "lead_id": pa.array([], pa.string()),
                "source_id": pa.array([], pa.int32()),
                "batch_id": pa.array([], pa.int32()),
            }
        )
    name = "ingest_small/leads_merge"
    done, _ = db.arrow_described(statement(name), name=name)
    # No two uploads of a group share a lead (their claims): a lead's batch is its upload's.
    at = pc.index_in(done["lead_id"], value_set=good["lead_id"])
    return done.append_column("batch_id", pc.take(good["batch_id"], at))


def _record(db: Warehouse, parts: list[Part], ids: list[int], started: Any) -> None:
    """The batch records of the uploads written, in one statement."""
    s = [p.summary for p in parts]
    records = pa.table(
        {
            "batch_id": pa.array(ids, pa.int32()),
            "kind": [p.staged.kind for p in parts],
            "file_name": [p.staged.name for p in parts],
            "file_format": [p.label for p in parts],
            "sha256": [p.sha for p in parts],
            "rows_read": pa.array([x.rows_read for x in s], pa.int64()),
            "rows_loaded": pa.array([x.loaded for x in s], pa.int64()),
            "rows_updated": pa.array([x.updated for x in s], pa.int64()),
            "rows_duplicate": pa.array([x.duplicates for x in s], pa.int64()),
            "rows_rejected": pa.array([x.rejected for x in s], pa.int64()),
            "extra_columns": pa.array([x.extra_columns for x in s], pa.list_(pa.string())),
            "column_map": [json.dumps(p.staged.mapping, sort_keys=True) for p in parts],
            "started_at": pa.array([started] * len(parts), pa.timestamp("us")),
            "finished_at": pa.array([clock.utc_now()] * len(parts), pa.timestamp("us")),
        }
    )
    db.register("ingest_records", records)
    db.execute("ingest_small/record_batches")


def _hand_over(
    db: Warehouse, parts: list[Part], changes: list[Change], done: pa.Table, ids: list[int]
) -> None:
    """Tell the read caches which sources each upload's new leads name, with their rows as they
    are in this transaction, so that cached lists are patched rather than dropped; when that
    is not known (no cache following, many sources, a failing read), caches drop instead."""
    from attribution.ingest.loader import HAND_OVER_MAX

    added = done.filter(pc.equal(done["action"], "INSERT"))
    added = added.filter(pc.is_valid(added["source_id"]))
    grown = [
        pc.unique(added.filter(pc.equal(added["batch_id"], i))["source_id"]).to_pylist()
        for i in ids
    ]
    every = sorted({int(i) for g in grown for i in g})
    source_rows = parts[0].ingestor.source_rows
    rows: dict[int, object] | None = None
    if source_rows is not None and db.watched() and len(every) <= HAND_OVER_MAX:
        try:
            rows = dict(source_rows(db, every)) if every else {}
        except WarehouseError:  # logged; the caches drop instead
            rows = None
    for change, mine in zip(changes, grown, strict=True):
        if rows is None:
            change.keys, change.rows = None, None
        else:
            change.keys = {int(i) for i in mine}
            change.rows = {i: rows.get(i) for i in change.keys}
