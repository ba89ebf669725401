"""Pruning stored runs: which runs retention lets go, how many per-conversion rows each holds,
and deleting them. A pruned run keeps its per-channel, per-source and per-day aggregates
(channel_credits, source_credits, channel_day_credits, run_lead_days, run_spend_days) and is
marked (attribution_runs.pruned_at), so that drill-down can say it was pruned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from attribution.warehouse.connection import Warehouse
from attribution.warehouse.statements import fill, quote_ident

# The tables with a row per conversion (or per conversion or distinct path, and channel) of a
# run: what pruning deletes. Every other table of a run is an aggregate and stays.
PER_CONVERSION = (
    "run_conversion_ids",
    "journey_channels",
    "conversion_credit_rows",
    "path_credits",
)


@dataclass(frozen=True)
class OldRun:
    """A run retention prunes, and its per-conversion rows by table."""

    run_id: int
    created_at: datetime
    window_start: datetime
    window_end: datetime
    rows: dict[str, int]

    @property
    def row_count(self) -> int:
        return sum(self.rows.values())


def old_runs(wh: Warehouse, *, keep: int, in_use: Sequence[int] = ()) -> list[OldRun]:
    """The runs not yet pruned beyond the newest `keep` and `in_use`, oldest first, with their
    per-conversion rows counted."""
    found = wh.records("retention/runs_to_prune", {"keep": keep, "in_use": list(in_use)})
    ids = [int(r["run_id"]) for r in found]
    counts: dict[int, dict[str, int]] = {i: dict.fromkeys(PER_CONVERSION, 0) for i in ids}
    if ids:
        for table in PER_CONVERSION:
            sql = fill("retention/count_run_rows", table=quote_ident(table))
            for run_id, n in wh.execute_text(sql, {"run_ids": ids}, name=table).fetchall():
                counts[int(run_id)][table] = int(n)
    return [
        OldRun(
            int(r["run_id"]),
            r["created_at"],
            r["window_start"],
            r["window_end"],
            counts[r["run_id"]],
        )
        for r in found
    ]


def delete(wh: Warehouse, run_ids: Sequence[int], now: datetime) -> None:
    """Delete the runs' per-conversion rows and mark them pruned (in the caller's transaction)."""
    ids = list(run_ids)
    if not ids:
        return
    for table in PER_CONVERSION:
        sql = fill("retention/delete_run_rows", table=quote_ident(table))
        wh.execute_text(sql, {"run_ids": ids}, name=f"prune {table}")
    wh.execute("retention/mark_pruned", {"run_ids": ids, "now": now})


def pruned_at(wh: Warehouse, run_id: int) -> datetime | None:
    """When the run's per-conversion rows were pruned; None if they are kept."""
    value = wh.scalar("retention/run_pruned", {"run_id": run_id})
    return value if isinstance(value, datetime) else None
