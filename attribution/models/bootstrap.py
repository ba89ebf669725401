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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from attribution.models import ModelOptions
from attribution.models.paths import Floats, Paths

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
    raise NotImplementedError("being written")
