"""Attribution runs from the warehouse: journeys, transforms, models, stored with their inputs."""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class RunResult:
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


def _store_drill_down(
    cur: Warehouse, run_id: int, paths: Paths, found: journeys.Journeys, credits: list[Credit]
) -> None:
    """Per-source and per-conversion credit, summed by DuckDB from each model's per-touch
    credit of the converting journeys (one model at a time, to keep memory flat)."""
    keep = paths.path_of_touch < found.converting
    sources = paths.sources if paths.sources is not None else np.full(len(paths.codes), -1)
    lookups = {
        "run_journey_ids": pa.table(
            {"journey": np.arange(found.converting), "conversion_id": list(found.conversion_ids)}
        ),
        "run_channel_names": pa.table(
            {"channel_code": np.arange(paths.n_channels), "channel": list(paths.channels)}
        ),
    }
    for name, table in lookups.items():
        cur.con.register(name, table)
    try:
        cur.execute("runs/insert_run_conversions", {"run_id": run_id})
        for credit in credits:  # a handful of models; each is one set-wise insert
            touches = pa.table(
                {
                    "model": pa.array([credit.model] * int(keep.sum())).dictionary_encode(),
                    "journey": paths.path_of_touch[keep],
                    "channel_code": paths.codes[keep],
                    "source_id": sources[keep],
                    "conversions": credit.touch_conversions[keep],
                    "value": credit.touch_value[keep],
                }
            )
            cur.con.register("run_touch_credit", touches)
            cur.execute("runs/insert_source_credits", {"run_id": run_id})
            cur.execute("runs/insert_conversion_credits", {"run_id": run_id})
            cur.con.unregister("run_touch_credit")
    finally:
        for name in (*lookups, "run_touch_credit"):
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
        credits = run_models(paths, names, spec.options)
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
            _store_drill_down(cur, run_id, paths, found, credits)
    return RunResult(run_id, digest, found, credits, seconds)
