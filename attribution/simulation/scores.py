"""Scores of a model's per-channel conversions against the switch-off truth (docs/models.md,
"Scores"): half the L1 distance of shares, Kendall's tau-b, top-3 set equality, coverage."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from attribution.models.paths import Floats, Paths
from attribution.simulation.world import Truth

if TYPE_CHECKING:
    from attribution.models import ModelOptions
    from attribution.models.bootstrap import BootstrapSpec
    from attribution.models.result import Credit


@dataclass(frozen=True)
class Score:
    model: str
    half_l1: float  # 0: the true shares; 1: disjoint
    tau_b: float  # 1: the true ranking; nan when either side is constant
    top3: bool  # the same three channels on top (as a set)
    coverage: float | None  # share of channels whose interval holds the true value; None: none


def aligned(channels: Sequence[str], figures: Floats, truth: Truth) -> tuple[Floats, Floats]:
    """A model's figures and the true conversions over the truth's channels (0 where a side
    lacks one)."""
    index = {c: i for i, c in enumerate(channels)}
    model = np.array([figures[index[c]] if c in index else 0.0 for c in truth.channels])
    return model, truth.conversions.astype(np.float64)


def half_l1(shares: Floats, true_shares: Floats) -> float:
    """Half the L1 distance of two share vectors."""
    return float(0.5 * np.abs(shares - true_shares).sum())


def tau_b(figures: Floats, truth: Floats) -> float:
    """Kendall's tau-b of the two rankings (ties counted as scipy does)."""
    from scipy.stats import kendalltau

    result = kendalltau(figures, truth, variant="b")
    return float(result.statistic)


def top(figures: Floats, names: Sequence[str], n: int = 3) -> frozenset[str]:
    """The n channels with the largest figures (ties broken by name)."""
    order = sorted(range(len(names)), key=lambda i: (-figures[i], names[i]))
    return frozenset(names[i] for i in order[:n])


def coverage(low: Floats, high: Floats, target: Floats) -> float:
    """The share of channels whose interval [low, high] holds the target."""
    if len(target) == 0:
        return math.nan
    return float(np.mean((low <= target) & (target <= high)))


def score(
    model: str,
    channels: Sequence[str],
    conversions: Floats,
    truth: Truth,
    bounds: tuple[Floats, Floats] | None = None,
) -> Score:
    """A model's scores; `bounds` are its conversions intervals (model's channel order). The
    true value an interval should hold is the true share times the model's total."""
    model_conv, true_conv = aligned(channels, conversions, truth)
    shares, true_shares = Truth.shares(model_conv), Truth.shares(true_conv)
    covered = None
    if bounds is not None:
        low, _ = aligned(channels, bounds[0], truth)
        high, _ = aligned(channels, bounds[1], truth)
        covered = coverage(low, high, true_shares * float(model_conv.sum()))
    names = list(truth.channels)
    return Score(
        model,
        half_l1(shares, true_shares),
        tau_b(model_conv, true_conv),
        top(model_conv, names) == top(true_conv, names),
        covered,
    )


# Every model the benchmark scores: the run's defaults and fractribution.
EVALUATED = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "shapley",
    "fractribution",
)


def score_models(
    credits: Sequence[Credit],
    truth: Truth,
    paths: Paths | None = None,
    spec: BootstrapSpec | None = None,
    options: ModelOptions | None = None,
) -> list[Score]:
    """Every credit's scores; with `paths` and `spec`, coverage from the bootstrap intervals of
    the models' conversions on those journeys."""
    intervals: dict[str, tuple[Floats, Floats]] = {}
    if paths is not None and spec is not None:
        from attribution.models import bootstrap

        names = [c.model for c in credits]
        found = bootstrap.replicates(paths, names, options, spec)
        intervals = {m: r.bounds(spec.level, "conversions") for m, r in found.items()}
    return [
        score(c.model, c.channels, c.conversions, truth, intervals.get(c.model)) for c in credits
    ]
