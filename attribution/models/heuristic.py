"""Rule-based models: each splits one conversion's credit (sum 1) over its path's touches."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from attribution.errors import AttributionError
from attribution.models.paths import Floats, Paths
from attribution.models.result import Credit

POSITION_PRESETS: dict[str, tuple[float, float, float]] = {
    "u_shaped": (0.4, 0.2, 0.4),
    "j_shaped": (0.2, 0.2, 0.6),
    "inverse_j": (0.6, 0.2, 0.2),
}


def _credit(name: str, paths: Paths, weights: Floats) -> Credit:
    """Credit from each touch's share of its path's conversions and value."""
    owner = paths.path_of_touch
    return Credit.from_touches(
        name, paths, weights * paths.conversions[owner], weights * paths.value[owner]
    )


def first_touch(paths: Paths) -> Credit:
    """All credit to the first touch."""
    return _credit("first_touch", paths, (paths.position == 0).astype(np.float64))


def last_touch(paths: Paths) -> Credit:
    """All credit to the last touch."""
    last = paths.position == np.repeat(paths.lengths - 1, paths.lengths)
    return _credit("last_touch", paths, last.astype(np.float64))


def last_non_direct(paths: Paths, direct: Iterable[str] = ("Direct",)) -> Credit:
    """All credit to the last touch not in the direct set; the last touch if all are direct."""
    direct_codes = [i for i, c in enumerate(paths.channels) if c in set(direct)]
    is_direct = np.isin(paths.codes, direct_codes)
    index = np.arange(len(paths.codes), dtype=np.int64)
    candidate = np.where(is_direct, -1, index)
    best = np.maximum.reduceat(candidate, paths.offsets[:-1])  # last non-direct touch, or -1
    chosen = np.where(best >= 0, best, paths.offsets[1:] - 1)
    weights = np.zeros(len(paths.codes))
    weights[chosen] = 1.0
    return _credit("last_non_direct", paths, weights)


def linear(paths: Paths) -> Credit:
    """Each touch 1/n (repeats count)."""
    return _credit("linear", paths, 1.0 / np.repeat(paths.lengths, paths.lengths))


def position_based(
    paths: Paths, first: float = 0.4, middle: float = 0.2, last: float = 0.4
) -> Credit:
    """first / middle / last shares; n = 2 splits f:l, n >= 3 gives m/(n-2) to each middle."""
    if min(first, middle, last) < 0 or abs(first + middle + last - 1) > 1e-9:
        raise AttributionError("position weights must be non-negative and sum to 1")
    n = np.repeat(paths.lengths, paths.lengths).astype(np.float64)
    pos = paths.position
    is_first, is_last = pos == 0, pos == n - 1
    two = first + last
    weights = np.select(
        [n == 1, (n == 2) & is_first, (n == 2) & is_last, is_first, is_last],
        [
            np.ones_like(n),
            np.full_like(n, first / two if two else 0.5),
            np.full_like(n, last / two if two else 0.5),
            np.full_like(n, first),
            np.full_like(n, last),
        ],
        default=middle / np.maximum(n - 2, 1),
    )
    return _credit("position_based", paths, weights)


def time_decay(paths: Paths, half_life_days: float = 7.0) -> Credit:
    """Weight 2^(-t/H) by each touch's time t before its conversion, normalised per path."""
    if paths.gaps is None:
        raise AttributionError("time_decay needs touch times: run it on journeys, not a path file")
    if half_life_days <= 0:
        raise AttributionError("half_life_days must be positive")
    # Relative to each path's latest touch, so that old touches cannot underflow to 0 / 0.
    nearest = np.minimum.reduceat(paths.gaps, paths.offsets[:-1])
    raw = np.exp2(-(paths.gaps - np.repeat(nearest, paths.lengths)) / half_life_days)
    totals = np.add.reduceat(raw, paths.offsets[:-1])
    return _credit("time_decay", paths, raw / np.repeat(totals, paths.lengths))
