"""Attribution runs from the warehouse: journeys, transforms, models, stored with their inputs."""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import duckdb
import numpy as np
import pyarrow as pa

from . import journeys
from .models import Credit, ModelOptions, check_names, run_models, transforms
from .models.paths import Paths
from .warehouse import Warehouse

DEFAULT_MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "shapley",
)


@dataclass(frozen=True)
class RunSpec:
    """What a run computes: the conversions window, lookback, models and their options."""

    start: datetime
    end: datetime
    lookback_days: float = 30.0
    models: tuple[str, ...] = DEFAULT_MODELS
    transforms: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ("won",)
    options: ModelOptions = field(default_factory=ModelOptions)


_EMPTY = np.zeros(0)


@dataclass(frozen=True)
class RunResult:
    """A stored run; its credits carry per-channel totals (the per-touch credit is stored as
    per-conversion and per-source credit, not kept)."""

    run_id: int
    input_hash: str
    journeys: journeys.Journeys
    credits: list[Credit]
    seconds: float


def input_hash(paths: Paths, spec: RunSpec) -> str:
    """sha256 of the journeys the models read and of every option that shapes the results."""
    digest = hashlib.sha256()
    for array in (paths.offsets, paths.codes, paths.conversions, paths.value, paths.nulls):
        digest.update(np.ascontiguousarray(array).tobytes())
    if paths.gaps is not None:
        digest.update(np.ascontiguousarray(paths.gaps).tobytes())
    digest.update(repr((paths.channels, spec.models, spec.transforms, spec.options)).encode())
    return digest.hexdigest()


def _rows(credits: list[Credit]) -> pa.Table:
    cols: dict[str, list[object]] = {
        k: []
        for k in (
            "model",
            "channel",
            "conversions",
            "value",
            "removal_effect_conversions",
            "removal_effect_value",
        )
    }
    for credit in credits:  # per model, then arrays per channel: no loop over data rows
        n = len(credit.channels)
        cols["model"] += [credit.model] * n
        cols["channel"] += list(credit.channels)
        cols["conversions"] += credit.conversions.tolist()
        cols["value"] += credit.value.tolist()
        re_c, re_v = credit.removal_conversions, credit.removal_value
        cols["removal_effect_conversions"] += [None] * n if re_c is None else re_c.tolist()
        cols["removal_effect_value"] += [None] * n if re_v is None else re_v.tolist()
    return pa.table(cols)


def _constant(text: str, n: int) -> pa.DictionaryArray:
    """A column of n copies of one string, stored once."""
    return pa.DictionaryArray.from_arrays(np.zeros(n, dtype=np.int32), [text])


class DrillDown:
    """Each model's credit per (conversion, channel), non-zero only, and per lead source, summed
    from its per-touch credit of the converting journeys with bincount (no loop over rows).

    Models are added one at a time so that only one model's per-touch credit is alive."""

    def __init__(self, paths: Paths, found: journeys.Journeys) -> None:
        self.keep = paths.path_of_touch < found.converting
        self.n_ch = max(paths.n_channels, 1)
        pairs, pair_of_touch = np.unique(
            paths.path_of_touch[self.keep] * self.n_ch + paths.codes[self.keep],
            return_inverse=True,
        )
        self.pairs, self.pair_of_touch = pairs, pair_of_touch.ravel()
        sources = paths.sources if paths.sources is not None else np.full(len(paths.codes), -1)
        source_ids, source_of_touch = np.unique(sources[self.keep], return_inverse=True)
        self.source_ids, self.source_of_touch = source_ids, source_of_touch.ravel()
        self.channel_names = pa.array(list(paths.channels), pa.string())
        self.by_conversion: list[pa.Table] = []
        self.by_source: list[pa.Table] = []

    def add(self, credit: Credit) -> None:
        tc, tv = credit.touch_conversions[self.keep], credit.touch_value[self.keep]
        conv = np.bincount(self.pair_of_touch, tc, len(self.pairs))
        value = np.bincount(self.pair_of_touch, tv, len(self.pairs))
        nonzero = (conv != 0) | (value != 0)
        n = int(nonzero.sum())
        self.by_conversion.append(
            pa.table(
                {
                    "model": _constant(credit.model, n),
                    "conversion_no": (self.pairs[nonzero] // self.n_ch).astype(np.int32),
                    "channel": pa.DictionaryArray.from_arrays(
                        (self.pairs[nonzero] % self.n_ch).astype(np.int32), self.channel_names
                    ),
                    "conversions": conv[nonzero],
                    "value": value[nonzero],
                }
            )
        )
        n_src = len(self.source_ids)
        self.by_source.append(
            pa.table(
                {
                    "model": _constant(credit.model, n_src),
                    "source_id": self.source_ids.astype(np.int64),
                    "conversions": np.bincount(self.source_of_touch, tc, n_src),
                    "value": np.bincount(self.source_of_touch, tv, n_src),
                }
            )
        )


def _store_drill_down(
    cur: Warehouse, run_id: int, found: journeys.Journeys, drill: DrillDown
) -> None:
    """Per-conversion and per-source credit of every model, and the run's conversion numbers."""
    by_conversion = pa.concat_tables(drill.by_conversion)
    by_source = pa.concat_tables(drill.by_source)
    tables = {
        "run_journey_ids": pa.table(
            {"journey": np.arange(found.converting), "conversion_id": list(found.conversion_ids)}
        ),
        "run_pair_credit": by_conversion,
        "run_source_credit": by_source,
    }
    for name, table in tables.items():
        cur.con.register(name, table)
    try:
        cur.execute("runs/insert_run_conversions", {"run_id": run_id})
        cur.execute("runs/insert_conversion_credits", {"run_id": run_id})
        cur.execute("runs/insert_source_credits", {"run_id": run_id})
    finally:
        for name in tables:
            with contextlib.suppress(duckdb.Error):  # already gone, or the batch failed
                cur.con.unregister(name)


def run(wh: Warehouse, spec: RunSpec) -> RunResult:
    """Compute every model of the spec over the warehouse's journeys and store the run."""
    names = check_names(spec.models)
    started = time.perf_counter()
    with wh.cursor() as cur:
        found = journeys.build(
            cur, start=spec.start, end=spec.end, lookback_days=spec.lookback_days, kinds=spec.kinds
        )
        paths = transforms.apply(found.paths, list(spec.transforms))
        drill = DrillDown(paths, found)
        credits = []
        for name in names:  # one model at a time: its per-touch credit lives only this long
            credit = run_models(paths, [name], spec.options)[0]
            drill.add(credit)
            credits.append(replace(credit, touch_conversions=_EMPTY, touch_value=_EMPTY))
        digest = input_hash(paths, spec)
        seconds = time.perf_counter() - started
        with cur.writing("data"), cur.transaction():
            run_id = int(
                cur.scalar(
                    "runs/insert_run",
                    {
                        "created_at": datetime.now(UTC).replace(tzinfo=None),
                        "window_start": spec.start,
                        "window_end": spec.end,
                        "lookback_days": spec.lookback_days,
                        "models": names,
                        "transforms": list(spec.transforms),
                        "conversion_kinds": list(spec.kinds),
                        "direct_channels": list(spec.options.direct),
                        "markov_order": spec.options.order,
                        "half_life_days": spec.options.half_life_days,
                        "input_hash": digest,
                        "conversions": found.converting,
                        "conversions_without_touches": found.conversions_without_touches,
                        "non_converting": found.non_converting,
                        "touches_too_early": found.touches_too_early,
                        "touches_after_conversion": found.touches_after_conversion,
                        "seconds": seconds,
                    },
                )
            )
            cur.con.register("run_credit_rows", _rows(credits))
            cur.execute("runs/insert_channel_credits", {"run_id": run_id})
            cur.con.unregister("run_credit_rows")
            _store_drill_down(cur, run_id, found, drill)
    return RunResult(run_id, digest, found, credits, seconds)
