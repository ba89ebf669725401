"""Bootstrap intervals on every model's credit: journeys resampled, each model recomputed on
every replicate, percentile intervals (see docs/attribution.md, "Intervals").

A replicate redraws how many times each path row's converting and non-converting journeys
occur: jointly from a multinomial with the total number of journeys fixed (integer counts), or
each from a Poisson with its count as mean (fractional counts, or when asked: the Spark engine).
A converting journey carries its row's value divided by its row's conversions (one journey per
row in a run from the warehouse: its own conversion's value). Models then run on the distinct
paths with the replicates' counts as columns: one sparse product for the rule-based models, one
batched solve for Markov, a pass per distinct set or path for Shapley and fractribution."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from attribution.errors import AttributionError
from attribution.models import ModelOptions, batched
from attribution.models.paths import Floats, Ints, Paths

Method = Literal["auto", "multinomial", "poisson"]


@dataclass(frozen=True)
class BootstrapSpec:
    """How many replicates, at which level, from which seed (same seed, same intervals)."""

    level: float = 0.9
    resamples: int = 200
    seed: int = 0
    method: Method = "auto"  # auto: multinomial for integer counts, else Poisson


@dataclass(frozen=True)
class Replicates:
    """One model's per-channel figures on every replicate: a row per replicate, a column per
    channel (channels in the model's Credit order)."""

    model: str
    channels: tuple[str, ...]
    conversions: Floats  # (resamples, channels)
    value: Floats
    removal_conversions: Floats | None = None  # Markov's removal effects
    removal_value: Floats | None = None

    def bounds(self, level: float, figure: str = "conversions") -> tuple[Floats, Floats]:
        """The percentile interval of a figure per channel: conversions, value, share (of the
        replicate's conversions), value_share, removal_conversions or removal_value."""
        return percentile(self.figure(figure), level)

    def figure(self, figure: str) -> Floats:
        """A figure's replicates, (resamples, channels)."""
        if figure == "share":
            return _shares(self.conversions)
        if figure == "value_share":
            return _shares(self.value)
        found = getattr(self, figure, None)
        if not isinstance(found, np.ndarray):
            raise ValueError(f"no replicates of {figure!r} for {self.model}")
        return found


def _shares(rows: Floats) -> Floats:
    totals = rows.sum(axis=1, keepdims=True)
    shares: Floats = np.divide(rows, totals, out=np.zeros_like(rows), where=totals != 0)
    return shares


def percentile(replicates: Floats, level: float) -> tuple[Floats, Floats]:
    """The (1 - level) / 2 and (1 + level) / 2 quantiles over the replicates (axis 0)."""
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    if len(replicates) == 0:
        empty = np.full(replicates.shape[1:], np.nan)
        return empty, empty.copy()
    low, high = np.quantile(replicates, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return np.asarray(low, np.float64), np.asarray(high, np.float64)


def replicates(
    paths: Paths,
    names: Sequence[str],
    options: ModelOptions | None = None,
    spec: BootstrapSpec | None = None,
) -> dict[str, Replicates]:
    """Each named model's replicates, keyed by its Credit's model name (markov_2 for order 2,
    the preset's name for u_shaped and the like)."""
    from attribution.models import check_names

    opts, spec = options or ModelOptions(), spec or BootstrapSpec()
    if spec.resamples < 1:
        raise AttributionError("resamples must be at least 1")
    percentile(np.zeros((1, 1)), spec.level)  # the level's check, before any work
    names = check_names(names)
    if not np.any(paths.conversions + paths.nulls > 0):  # no journey: nothing varies
        from attribution.models.markov import model_name

        zero = np.zeros((spec.resamples, paths.n_channels))
        empty: dict[str, Replicates] = {}
        for name in names:
            chain = name == "markov"
            key = model_name(opts.order) if chain else name
            extra = (zero, zero) if chain else (None, None)
            empty[key] = Replicates(key, paths.channels, zero, zero, *extra)
        return empty
    draws = Draws(paths, spec)
    group, distinct = _distinct(paths)
    to_paths = _to_paths(draws, group, distinct.n_paths)
    g = distinct.n_paths
    converting = np.flatnonzero(~draws.cell_null)
    found_rows = draws.cell_row[converting]
    runners = [
        _runner(name, paths, distinct, opts, found_rows, draws.cell_value[converting])
        for name in names
    ]
    parts: list[list[batched.Figures]] = [[] for _ in runners]
    for counts in draws.chunks(_chunk(draws, distinct, spec.resamples)):  # (cells, replicates)
        per = to_paths @ counts  # (3 g, replicates): one sparse product
        per_path = batched.Batch(per[:g].T, per[2 * g :].T, per[g : 2 * g].T)
        per_row: batched.Batch | None = None
        for runner, found in zip(runners, parts, strict=True):
            if runner.rows and per_row is None:
                kept = counts[converting].T  # each converting journey's own counts
                per_row = batched.Batch(kept, kept, kept)  # the runner weighs value itself
            found.append(runner.figures(per_row if runner.rows and per_row else per_path))
    return {
        runner.model: _stacked(runner.model, paths.channels, found)
        for runner, found in zip(runners, parts, strict=True)
    }


def _to_paths(draws: Draws, group: Ints | None, g: int) -> Any:
    """A sparse (3 g, cells) matrix: a replicate's cell counts times it give each distinct
    path's converting journeys, non-converting journeys and value."""
    from scipy.sparse import csr_matrix

    path = draws.cell_row if group is None else group[draws.cell_row]
    cell = np.arange(draws.cells)
    conv = ~draws.cell_null
    return csr_matrix(
        (
            np.r_[np.ones(draws.cells), draws.cell_value[conv]],
            (np.r_[path + g * draws.cell_null, 2 * g + path[conv]], np.r_[cell, cell[conv]]),
        ),
        shape=(3 * g, draws.cells),
    )


class Draws:
    """Each replicate's counts of the journeys of every non-empty cell (a path row's
    converting, or its non-converting, journeys), from the replicate's own seeded generator:
    the same seed gives the same draws however the replicates are chunked."""

    def __init__(self, paths: Paths, spec: BootstrapSpec) -> None:
        counts = np.concatenate([paths.conversions, paths.nulls])
        integer = bool(np.all(counts == np.floor(counts)))
        method = spec.method if spec.method != "auto" else "multinomial" if integer else "poisson"
        if method == "multinomial" and not integer:
            raise AttributionError(
                "fractional journey counts cannot be resampled jointly: use the Poisson bootstrap"
            )
        self.method = method
        cells = np.flatnonzero(counts > 0)
        n = paths.n_paths
        self.cell_row, self.cell_null = cells % max(n, 1), cells >= n
        self.count = counts[cells]
        per_journey = np.divide(
            paths.value, paths.conversions, out=np.zeros(n), where=paths.conversions > 0
        )
        self.cell_value = np.where(self.cell_null, 0.0, per_journey[self.cell_row])
        self.seeds = np.random.SeedSequence(spec.seed).spawn(spec.resamples)
        self.total = int(self.count.sum()) if integer else 0
        self.cell_of_journey: NDArray[np.integer[Any]] | None = None
        self.by_journey = method == "multinomial" and self.total <= 2 * len(cells)
        if self.by_journey and self.total != len(cells):  # a journey a cell needs no lookup
            self.cell_of_journey = np.repeat(np.arange(len(cells)), self.count.astype(np.int64))
        self.p = self.count / max(self.count.sum(), 1.0)

    @property
    def cells(self) -> int:
        return len(self.count)

    def one(self, seed: np.random.SeedSequence, out: Floats) -> None:
        """One replicate's counts per cell, into out."""
        rng = np.random.default_rng(seed)
        if self.method == "poisson":
            out[:] = rng.poisson(self.count)
        elif self.by_journey:  # draw journeys: about a journey a cell
            width = np.int32 if self.total < 2**31 else np.int64  # int32: twice as fast
            drawn: NDArray[np.integer[Any]] = rng.integers(0, self.total, self.total, dtype=width)
            if self.cell_of_journey is not None:
                drawn = self.cell_of_journey[drawn]
            out[:] = np.bincount(drawn, minlength=self.cells)
        else:  # many journeys a cell: draw the cells' counts
            out[:] = rng.multinomial(self.total, self.p)

    def chunks(self, size: int) -> Iterator[Floats]:
        """The replicates' counts, (cells, replicates), `size` replicates at a time."""
        for at in range(0, len(self.seeds), size):
            seeds = self.seeds[at : at + size]
            buffer = np.empty((self.cells, len(seeds)))
            for column, seed in enumerate(seeds):
                self.one(seed, buffer[:, column])
            yield buffer


def _distinct(paths: Paths) -> tuple[Ints | None, Paths]:
    """Each row's distinct path and the distinct paths (counts left at zero): the models'
    work is per distinct path. None when every row is a path of its own."""
    group, distinct = paths.distinct()
    if distinct.n_paths == paths.n_paths:
        return None, paths
    zeros = np.zeros(distinct.n_paths)
    return group, replace(distinct, conversions=zeros, value=zeros, nulls=zeros)


class _Runner(Protocol):
    model: str
    rows: bool  # reads each converting journey's own row (time decay), not distinct paths

    def figures(self, batch: batched.Batch) -> batched.Figures: ...


def _runner(
    name: str,
    paths: Paths,
    distinct: Paths,
    options: ModelOptions,
    converting: Ints,
    value: Floats,
) -> _Runner:
    runner: Any
    if name == "markov":
        runner = batched.Markov(distinct, options.order)
    elif name == "shapley":
        runner = batched.Shapley(distinct)
    elif name == "fractribution":
        runner = batched.Fractribution(distinct)
    elif name == "time_decay":  # each journey's own touch times: per row, not per path
        runner = batched.Shares(paths, name, options, rows=converting, row_value=value)
    else:
        runner = batched.Shares(distinct, name, options)
    runner.rows = name == "time_decay"
    return cast(_Runner, runner)


def _chunk(draws: Draws, distinct: Paths, resamples: int) -> int:
    """Replicates per chunk: about 8 million numbers per array at a time."""
    width = max(draws.cells, len(distinct.codes), 1)
    states = min(len(distinct.codes) + 1, 200)  # Markov's dense systems: (channels + 1) n^2
    dense = states**2 * (distinct.n_channels + 1)
    return max(1, min(resamples, 8_000_000 // max(width, dense)))


def _stacked(model: str, channels: tuple[str, ...], found: list[batched.Figures]) -> Replicates:
    def joined(name: str) -> Floats | None:
        parts = [getattr(f, name) for f in found]
        return None if any(p is None for p in parts) else np.concatenate(parts)

    conversions, value = joined("conversions"), joined("value")
    assert conversions is not None and value is not None
    return Replicates(
        model, channels, conversions, value, joined("removal_conversions"), joined("removal_value")
    )
