"""Journeys from the warehouse: converting and non-converting paths with lookback windows.

The windows, joins and ordering are SQL (sql/journeys/); the result is one Paths, converting
journeys first (one per conversion, its value), then non-converting ones (one per lead).

No string work per touch: channel mapping runs once per distinct combination of the values it
reads (journeys/key_channels.sql), each touch then carries its channel's code
(journeys/run_touches.sql), touches meet their conversions on the leads' integer key (lead_no),
conversions are ranked by id once, and journeys are sorted on integers and come back as
integers; the conversions' ids stay in the warehouse
(run_conversions), where the stored run's statements read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from attribution.engine import channels
from attribution.models.paths import Paths
from attribution.warehouse.connection import Warehouse

_MICROS_PER_DAY = 86_400_000_000.0


@dataclass(frozen=True)
class Journeys:
    """The paths of a run, and what the windows left out."""

    paths: Paths
    converted_at: NDArray[np.datetime64]  # each converting journey's conversion time (UTC)
    conversion_ranks: NDArray[np.int64]  # and its rank in run_conversions (from 1)
    converting: int
    conversions_without_touches: int  # conversions whose window holds no touch: no journey
    non_converting: int
    touches_after_conversion: int
    touches_too_early: int


def _starts(rank: NDArray[Any]) -> NDArray[np.int64]:
    """Where each journey starts in rows sorted by journey (its rank), and the end."""
    starts = np.flatnonzero(np.diff(rank)) + 1
    bounds: NDArray[np.int64] = np.r_[0, starts, len(rank)].astype(np.int64)
    return bounds[:-1] if len(rank) == 0 else bounds


def _steps(wh: Warehouse, name: str, params: dict[str, object]) -> dict[str, NDArray[Any]]:
    """A statement's columns as numpy arrays."""
    columns: dict[str, NDArray[Any]] = wh.execute(f"journeys/{name}", params).fetchnumpy()
    return columns


def build(
    wh: Warehouse,
    *,
    start: datetime,
    end: datetime,
    lookback_days: float,
    kinds: tuple[str, ...] = ("won",),
) -> Journeys:
    """The run's journeys on this connection (it leaves run_key_channels, run_channels and
    run_conversions, which the stored run's statements read)."""
    lookback = timedelta(days=lookback_days)
    if not channels.rules_loaded(wh):
        channels.load_default_rules(wh)
    # Only touches a window can hold: from the earliest lookback to the run's end (touches after
    # the run's end are not counted in touches_after_conversion); and every lead's creation, for
    # the channel of each converting lead.
    mapped = {"since": start - lookback, "until": end, "leads_since": None}
    wh.temp_view("run_touch_rows", "channels/touch_rows", mapped)
    wh.execute("journeys/mapping_keys")
    wh.execute("journeys/key_channels")
    wh.execute("journeys/run_channels")
    wh.execute("journeys/run_touches")
    wh.execute("journeys/run_conversions", {"start": start, "end": end, "kinds": list(kinds)})
    wh.execute("journeys/rank_conversions")
    # Every touch of a converting lead comes back once: those outside its window are counted.
    rows = _steps(wh, "converting_steps", {})
    before = rows["before_us"]
    after = np.count_nonzero(before <= 0)  # at or after its conversion
    too_early = before > lookback // timedelta(microseconds=1)
    inside = (before > 0) & ~too_early
    conv = {name: column[inside] for name, column in rows.items()}
    too_early_count = int(np.count_nonzero(too_early))
    del rows, before, too_early, inside
    null = _steps(wh, "null_steps", {"end": end, "window_from": end - lookback})
    wh.execute("journeys/drop_run_touches")  # its memory goes to the run's writes
    names = [str(c) for (c,) in wh.fetchall("journeys/channel_names")]
    facts = _steps(wh, "conversion_rows", {})
    conv_offsets = _starts(conv["conversion_rank"])
    null_offsets = _starts(null["lead_no"])
    n_conv, n_null = len(conv_offsets) - 1, len(null_offsets) - 1
    n_all = len(facts["value"])
    # Ranks count from 1; a conversion whose window holds no touch has no journey.
    ranks = conv["conversion_rank"][conv_offsets[:-1]].astype(np.int64)
    value, converted_at = facts["value"][ranks - 1], facts["converted_at"][ranks - 1]
    offsets = np.concatenate([conv_offsets, null_offsets[1:] + conv_offsets[-1]])
    paths = Paths(
        channels=tuple(names),
        offsets=offsets.astype(np.int64),
        codes=np.concatenate([conv["channel_code"], null["channel_code"]], dtype=np.int64),
        conversions=np.r_[np.ones(n_conv), np.zeros(n_null)],
        value=np.r_[value, np.zeros(n_null)].astype(np.float64),
        nulls=np.r_[np.zeros(n_conv), np.ones(n_null)],
        gaps=np.r_[conv["before_us"] / _MICROS_PER_DAY, np.zeros(len(null["channel_code"]))],
        sources=np.concatenate([conv["source_id"], null["source_id"]], dtype=np.int64),
    )
    return Journeys(
        paths=paths,
        converted_at=converted_at.astype("datetime64[us]"),
        conversion_ranks=ranks,
        converting=n_conv,
        conversions_without_touches=n_all - n_conv,
        non_converting=n_null,
        touches_after_conversion=int(after),
        touches_too_early=too_early_count,
    )
