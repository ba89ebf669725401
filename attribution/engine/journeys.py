"""Journeys from the warehouse: converting and non-converting paths with lookback windows.

The windows, joins and ordering are SQL (sql/journeys/); the result is one Paths, converting
journeys first (one per conversion, its value), then non-converting ones (one per lead)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from attribution.engine import channels, portable
from attribution.models.paths import Paths
from attribution.warehouse.connection import Warehouse


@dataclass(frozen=True)
class Journeys:
    """The paths of a run, and what the windows left out."""

    paths: Paths
    conversion_ids: NDArray[np.object_]  # revenue_events.event_id of each converting journey
    converted_at: NDArray[np.datetime64]  # and its time (UTC)
    converting: int
    conversions_without_touches: int  # conversions whose window holds no touch: no journey
    non_converting: int
    touches_after_conversion: int
    touches_too_early: int


def _days_between(earlier: NDArray[Any], later: NDArray[Any]) -> NDArray[np.float64]:
    """Days from each earlier time to its later time (timestamps at microsecond precision)."""
    micros = (later.astype("datetime64[us]") - earlier.astype("datetime64[us]")).astype(np.int64)
    days: NDArray[np.float64] = micros / 86_400_000_000.0
    return days


def _offsets(pos: NDArray[np.int64]) -> NDArray[np.int64]:
    """Where each journey starts in rows sorted by (journey, pos), and the end: pos 1 starts one."""
    starts = np.flatnonzero(pos == 1)
    bounds: NDArray[np.int64] = np.r_[starts, len(pos)].astype(np.int64)
    return bounds


def build(
    wh: Warehouse,
    *,
    start: datetime,
    end: datetime,
    lookback_days: float,
    kinds: tuple[str, ...] = ("won",),
) -> Journeys:
    """The run's journeys on this connection (it builds touch_channels and run_conversions)."""
    lookback = timedelta(days=lookback_days)
    # Only touches a window can hold: from the earliest lookback to the run's end (touches after
    # the run's end are not counted in touches_after_conversion); and every lead's creation, for
    # the channel of each converting lead.
    channels.map_touches(wh, since=start - lookback, until=end, all_leads=True)
    wh.execute("journeys/channels")
    wh.con.register("run_kinds", pa.table({"kind": list(kinds)}))
    wh.execute("journeys/conversions", {"start": start, "end": end})
    wh.con.unregister("run_kinds")
    window = {"lookback": lookback, "end": end, "window_from": end - lookback}
    wh.execute_text(portable.render("journeys/journey_touches", "duckdb", window))
    conv = wh.execute("journeys/converting_touches").fetchnumpy()
    null = wh.execute("journeys/null_touches").fetchnumpy()
    stats = wh.fetchone("journeys/window_stats", {"lookback": lookback}) or (0, 0, 0)
    names = [str(c) for (c,) in wh.fetchall("journeys/channel_names")]
    conv_offsets = _offsets(np.asarray(conv["pos"], dtype=np.int64))
    null_offsets = _offsets(np.asarray(null["pos"], dtype=np.int64))
    conv_starts = conv_offsets[:-1]
    n_conv, n_null = len(conv_offsets) - 1, len(null_offsets) - 1
    offsets = np.concatenate([conv_offsets, null_offsets[1:] + conv_offsets[-1]])
    codes = np.concatenate([conv["channel_code"], null["channel_code"]]).astype(np.int64)
    sources = np.concatenate([conv["source_id"], null["source_id"]]).astype(np.int64)
    gaps = np.concatenate(
        [_days_between(conv["occurred_at"], conv["converted_at"]), np.zeros(len(null["pos"]))]
    )
    paths = Paths(
        channels=tuple(names),
        offsets=offsets.astype(np.int64),
        codes=codes,
        conversions=np.r_[np.ones(n_conv), np.zeros(n_null)],
        value=np.r_[np.asarray(conv["value"], dtype=np.float64)[conv_starts], np.zeros(n_null)],
        nulls=np.r_[np.zeros(n_conv), np.ones(n_null)],
        gaps=gaps,
        sources=sources,
    )
    return Journeys(
        paths=paths,
        conversion_ids=np.asarray(conv["conversion_id"], dtype=object)[conv_starts],
        converted_at=np.asarray(conv["converted_at"]).astype("datetime64[us]")[conv_starts],
        converting=n_conv,
        conversions_without_touches=int(stats[0] or 0) - n_conv,
        non_converting=n_null,
        touches_after_conversion=int(stats[1] or 0),
        touches_too_early=int(stats[2] or 0),
    )
