"""Attribution runs from the warehouse: journeys, transforms, models, stored with their inputs."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

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
    return RunResult(run_id, digest, found, credits, seconds)
