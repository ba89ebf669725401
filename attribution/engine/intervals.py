"""Bootstrap intervals stored with a run: the bounds of every model's per-channel figures, for
the run's window and for periods inside it (a report's period), in channel_intervals.

The run's window: every model recomputed on each replicate of the run's journeys
(bootstrap.replicates, basis "refit"). A period inside the window: the figures shown for it
are sums of the run's credit per conversion over the period's conversions, so its replicates
are those sums with the period's converting journeys drawn again (Poisson, one weight per
journey) and each journey's credit held as the run computed it (basis "held"). For the
rule-based models that is exactly the period's part of a Poisson bootstrap of the window; for
Markov, Shapley and fractribution it leaves out the noise of their fit on the whole window."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from attribution.engine import arrays
from attribution.models import ModelOptions
from attribution.models.bootstrap import BootstrapSpec, Replicates
from attribution.models.paths import Floats, Paths
from attribution.models.result import Credit

if TYPE_CHECKING:
    from attribution.engine.runs import RunSpec

# The figures whose bounds are stored, as Replicates.figure names them.
FIGURES = ("conversions", "value", "share", "value_share")
REMOVAL = ("removal_conversions", "removal_value")
_CHUNK = 8192  # journeys per block of Poisson weights: B x 8192 doubles at a time


@dataclass(frozen=True)
class Scope:
    """Conversions in [start, end) whose figures have intervals, and how they were drawn."""

    start: datetime
    end: datetime
    method: str  # multinomial or poisson
    basis: str  # refit or held
    seconds: float = 0.0


@dataclass
class Bounds:
    """A run's intervals: per scope, each model's replicates."""

    spec: BootstrapSpec
    scopes: list[tuple[Scope, dict[str, Replicates]]] = field(default_factory=list)

    def tables(self) -> dict[str, pa.Table]:
        """The rows of run_intervals and channel_intervals (registered Arrow tables)."""
        n = len(self.scopes)
        settings = {
            "period_start": arrays.timestamps([s.start for s, _ in self.scopes]),
            "period_end": arrays.timestamps([s.end for s, _ in self.scopes]),
            "level": np.full(n, self.spec.level, dtype=np.float64),
            "resamples": np.full(n, self.spec.resamples, dtype=np.int64),
            "seed": np.full(n, self.spec.seed, dtype=np.int64),
            "method": arrays.strings([s.method for s, _ in self.scopes]),
            "basis": arrays.strings([s.basis for s, _ in self.scopes]),
            "seconds": np.array([s.seconds for s, _ in self.scopes], dtype=np.float64),
        }
        parts = [bound_rows(reps, self.spec.level, s.start, s.end) for s, reps in self.scopes]
        rows = pa.concat_tables(parts) if parts else bound_rows({}, self.spec.level, None, None)
        return {"run_interval_scopes": arrays.table(settings), "run_channel_intervals": rows}


def bound_rows(
    reps: Mapping[str, Replicates], level: float, start: datetime | None, end: datetime | None
) -> pa.Table:
    """One row per (model, channel): the low and high of every figure (removal effects: None
    for models without)."""
    models: list[str] = []
    channels: list[str] = []
    bounds: dict[str, list[float | None]] = {}
    for name in (*FIGURES, *REMOVAL):
        bounds[f"{name}_low"], bounds[f"{name}_high"] = [], []
    for model, rep in reps.items():  # per model, then arrays per channel
        n = len(rep.channels)
        models += [model] * n
        channels += list(rep.channels)
        for name in (*FIGURES, *REMOVAL):
            if name in REMOVAL and getattr(rep, name) is None:
                low: list[float | None] = [None] * n
                high: list[float | None] = [None] * n
            else:
                lo, hi = rep.bounds(level, name)
                low, high = lo.tolist(), hi.tolist()
            bounds[f"{name}_low"] += low
            bounds[f"{name}_high"] += high
    return arrays.table(
        {
            "period_start": arrays.timestamps([start] * len(models)),
            "period_end": arrays.timestamps([end] * len(models)),
            "model": arrays.strings(models),
            "channel": arrays.strings(channels),
            **{name: arrays.floats(values) for name, values in bounds.items()},
        }
    )


def poisson_sums(per_journey: Any, n_journeys: int, resamples: int, seed: Sequence[int]) -> Floats:
    """Replicates of column sums: each journey weighted by a Poisson(1) draw per replicate,
    (resamples, columns). per_journey is a (journeys, columns) array or scipy sparse matrix."""
    rng = np.random.default_rng(list(seed))
    n_cols = int(per_journey.shape[1])
    out = np.zeros((resamples, n_cols))
    for first in range(0, n_journeys, _CHUNK):  # blocks of journeys: bounded memory
        last = min(first + _CHUNK, n_journeys)
        weights = rng.poisson(1.0, (resamples, last - first)).astype(np.float64)
        block = per_journey[first:last]
        out += np.asarray((block.T @ weights.T).T)
    return out


class Held:
    """The run's credit per converting journey of each requested period, collected model by
    model while the run computes (only these journeys' credit is kept), then resampled."""

    def __init__(
        self,
        paths: Paths,
        converted_at: NDArray[np.datetime64],
        periods: Sequence[tuple[datetime, datetime]],
        spec: BootstrapSpec,
    ) -> None:
        self.spec, self.paths = spec, paths
        converting = len(converted_at)
        self.periods = list(periods)
        self.journeys: list[NDArray[np.int64]] = []
        for start, end in self.periods:
            inside = (converted_at >= np.datetime64(start)) & (converted_at < np.datetime64(end))
            self.journeys.append(np.flatnonzero(inside).astype(np.int64))
        self.converting = converting
        self.models: list[tuple[str, tuple[str, ...], list[tuple[object, object]]]] = []

    def add(self, credit: Credit) -> None:
        """Keep one model's credit per (journey of a period, channel), sparse."""
        n = len(credit.touch_conversions)  # the touches up to the last converting journey
        if not self.periods or n == 0:
            return
        from scipy import sparse

        journey = self.paths.path_of_touch[:n]
        codes = self.paths.codes[:n]
        n_ch = max(self.paths.n_channels, 1)
        per_period = []
        for chosen in self.journeys:
            local = np.full(self.paths.n_paths, -1, dtype=np.int64)
            local[chosen] = np.arange(len(chosen))
            row = local[journey]
            keep = row >= 0
            shape = (len(chosen), n_ch)
            cells = (row[keep], codes[keep])
            conv = sparse.csr_matrix((credit.touch_conversions[keep], cells), shape=shape)
            value = sparse.csr_matrix((credit.touch_value[keep], cells), shape=shape)
            per_period.append((conv, value))
        self.models.append((credit.model, credit.channels, per_period))

    def scopes(self) -> list[tuple[Scope, dict[str, Replicates]]]:
        """Each period's replicates of every model added: one Poisson draw per journey and
        replicate, the same draws for every model."""
        from scipy import sparse

        out = []
        for k, ((start, end), chosen) in enumerate(zip(self.periods, self.journeys, strict=True)):
            started = time.perf_counter()
            blocks = [m[2][k][i] for m in self.models for i in (0, 1)]
            if not blocks:
                continue
            stacked = sparse.hstack(blocks, format="csr")
            seed = (self.spec.seed, 1 + k)  # one stream per period, apart from the window's
            sums = poisson_sums(stacked, len(chosen), self.spec.resamples, seed)
            reps, col = {}, 0
            for model, channels, _ in self.models:
                n = len(channels)
                conv, value = sums[:, col : col + n], sums[:, col + n : col + 2 * n]
                reps[model] = Replicates(model, channels, conv, value)
                col += 2 * n
            scope = Scope(start, end, "poisson", "held", time.perf_counter() - started)
            out.append((scope, reps))
        return out


def window(
    paths: Paths,
    names: Sequence[str],
    options: ModelOptions,
    spec: BootstrapSpec,
    start: datetime,
    end: datetime,
) -> tuple[Scope, dict[str, Replicates]]:
    """The run window's replicates: every model recomputed on each replicate (refit)."""
    from attribution.models import bootstrap

    started = time.perf_counter()
    reps = bootstrap.replicates(paths, names, options, spec)
    integer = bool(np.all(paths.conversions == np.round(paths.conversions))) and bool(
        np.all(paths.nulls == np.round(paths.nulls))
    )
    method = spec.method if spec.method != "auto" else ("multinomial" if integer else "poisson")
    return Scope(start, end, method, "refit", time.perf_counter() - started), reps


def held(paths: Paths, converted_at: NDArray[np.datetime64], spec: RunSpec) -> Held:
    """What collects the credit per journey of the spec's periods (nothing without intervals)."""
    periods = spec.interval_periods if spec.intervals is not None else ()
    return Held(paths, converted_at, periods, spec.intervals or BootstrapSpec())


def tables(paths: Paths, names: Sequence[str], spec: RunSpec, periods: Held) -> dict[str, pa.Table]:
    """The run's interval rows to store: its window's, then each period's (none without
    intervals, or without journeys)."""
    if spec.intervals is None or paths.n_paths == 0:
        return {}
    bounds = Bounds(spec.intervals)
    bounds.scopes.append(window(paths, names, spec.options, spec.intervals, spec.start, spec.end))
    bounds.scopes += periods.scopes()
    found = bounds.tables()
    if spec.placebo:
        found["run_placebo_rows"] = placebo_rows(paths, names, spec.options, spec.intervals)
    return found


def placebo_rows(
    paths: Paths, names: Sequence[str], options: ModelOptions, spec: BootstrapSpec
) -> pa.Table:
    """The placebo check's rows (models/placebo.py): a model's credit to a channel with no
    effect, its interval and share."""
    from attribution.models.placebo import placebo

    found = placebo(paths, names, options, spec).values()
    return arrays.table(
        {
            "model": arrays.strings([p.model for p in found]),
            "conversions": arrays.floats([p.conversions for p in found]),
            "conversions_low": arrays.floats([p.low for p in found]),
            "conversions_high": arrays.floats([p.high for p in found]),
            "share": arrays.floats([p.share for p in found]),
        }
    )
