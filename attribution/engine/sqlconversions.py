"""A SQL run's conversions and the channels of their journeys, as the stored run keeps them
(run_conversion_ids, journey_channels), from one row per converting journey that the engine
brings back (sql/journeys/converting_rows.sql): numbered here in conversion id order, each
journey's channels counted from its path and sources, so that the engine neither sorts the
conversions nor reads their touches again."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

Ints = NDArray[np.int64]


def tables(rows: pa.Table, channels: tuple[str, ...]) -> dict[str, pa.Table]:
    """The rows of insert_run_conversions.sql (run id first, as a placeholder) and of
    run_journey_channels, from converting_rows.sql's rows; channels: the run's, in code order."""
    rows = rows.take(pc.sort_indices(rows, [("conversion_id", "ascending")]))
    count = rows.num_rows
    names = pa.array([*channels, "Unassigned"], pa.string())
    lead_code = pc.fill_null(rows.column("lead_channel_code"), len(channels))
    conversions = pa.table(
        {
            "run_id": pa.array(np.zeros(count, np.int64)),
            "conversion_no": pa.array(np.arange(count, dtype=np.int32)),
            "conversion_id": rows.column("conversion_id"),
            "lead_id": rows.column("lead_id"),
            "converted_at": rows.column("converted_at"),
            "value": rows.column("value"),
            "touches": rows.column("n").cast(pa.int32()),
            "lead_created_at": rows.column("lead_created_at"),
            "lead_channel": names.take(lead_code.cast(pa.int64())),
            "lead_source_id": rows.column("lead_source_id"),
        }
    )
    return {
        "rows:runs/insert_run_conversions": conversions,
        "run_journey_channels": _journey_channels(rows, channels),
    }


def _split(column: pa.ChunkedArray, sep: str) -> tuple[Ints, Ints]:
    """Each row's list of integers joined by sep: (lengths, the integers flattened)."""
    parts = pc.split_pattern(column, sep)
    lengths = np.asarray(pc.list_value_length(parts).to_numpy(zero_copy_only=False), np.int64)
    values = pc.cast(pc.list_flatten(parts), pa.int64()).to_numpy(zero_copy_only=False)
    return lengths, np.asarray(values, np.int64)


def _journey_channels(rows: pa.Table, channels: tuple[str, ...]) -> pa.Table:
    """Per (conversion number, channel): its journey's touches and those without a source."""
    n_ch = max(len(channels), 1)
    lengths, codes = _split(rows.column("path_key"), ">")
    _, sources = _split(rows.column("source_key"), ",")
    owner = np.repeat(np.arange(rows.num_rows, dtype=np.int64), lengths)
    pair = owner * n_ch + codes
    size = rows.num_rows * n_ch
    touches = np.bincount(pair, minlength=size)
    unsourced = np.bincount(pair, (sources == -1).astype(np.float64), size)
    kept = np.flatnonzero(touches)
    return pa.table(
        {
            "conversion_no": pa.array((kept // n_ch).astype(np.int32)),
            "channel": pa.array(channels, pa.string()).take(pa.array(kept % n_ch)),
            "touches": pa.array(touches[kept].astype(np.int32)),
            "touches_without_source": pa.array(np.rint(unsourced[kept]).astype(np.int32)),
        }
    )
