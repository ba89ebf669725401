"""Coalition Shapley over channel sets, and Google's fractribution over exact paths.

Shapley work is per distinct observed channel set: v(S) is zero for sets no journey has, so
each converting set N sums over the observed subsets of N only (not over 2^n subsets)."""

from __future__ import annotations

from math import comb

import numpy as np
from numpy.typing import NDArray

from attribution.models.paths import Floats, Ints, Paths
from attribution.models.result import Credit

_NOISE = 1e-12  # differences of conversion rates smaller than this are rounding, not signal


def _sets(paths: Paths) -> tuple[NDArray[np.bool_], Ints, Floats, Floats, Floats]:
    """Distinct channel sets as a boolean matrix, each path's set, and per-set totals."""
    sets, which = paths.channel_sets
    conv = np.bincount(which, paths.conversions, len(sets)).astype(np.float64)
    value = np.bincount(which, paths.value, len(sets)).astype(np.float64)
    nulls = np.bincount(which, paths.nulls, len(sets)).astype(np.float64)
    return sets, which, conv, value, nulls


def set_shares(sets: NDArray[np.bool_], conv: Floats, nulls: Floats, value: Floats) -> Floats:
    """Each set's Shapley shares of its channels (a row per set, summing to 1 where the set has
    credit to give), from the sets' conversions, non-conversions and value: v(S) = conversion
    rate of journeys whose distinct channels are exactly S. Both engines hand their set totals
    here (sql/models/set_totals.sql for Spark)."""
    seen = conv + nulls
    v = np.divide(conv, seen, out=np.zeros_like(conv), where=seen > 0)
    sizes = sets.sum(axis=1)
    shares = np.zeros(sets.shape)
    for k in np.flatnonzero((conv > 0) | (value != 0)):  # one pass per set with credit to give
        n_mask = sets[k]
        n = int(sizes[k])
        inside = ~(sets[:, ~n_mask].any(axis=1)) & (sizes > 0)  # observed subsets of N
        sub, s_size, s_v = sets[inside][:, n_mask], sizes[inside], v[inside]
        # Weights of a subset S when i is in S, and when i is not.
        w_in = np.array([1.0 / (n * comb(n - 1, int(s) - 1)) for s in s_size])
        w_out = np.array([1.0 / (n * comb(n - 1, int(s))) if s < n else 0.0 for s in s_size])
        phi = (sub * (w_in * s_v)[:, None]).sum(axis=0) - (~sub * (w_out * s_v)[:, None]).sum(
            axis=0
        )
        total = phi.sum()
        # Below rounding noise the values say nothing: split evenly rather than amplify noise.
        share = phi / total if abs(total) > _NOISE else np.full(n, 1.0 / n)
        shares[k, np.flatnonzero(n_mask)] = share
    return shares


def shapley(paths: Paths) -> Credit:
    """Each converting set's Shapley shares (set_shares), renormalised to 1, split its
    conversions and value."""
    sets, which, conv, value, nulls = _sets(paths)
    shares = set_shares(sets, conv, nulls, value)
    # Each journey's share of a channel goes evenly to that channel's touches in the journey.
    owner = paths.path_of_touch
    per_touch = shares[which[owner], paths.codes] / paths.channel_touch_counts
    return Credit.from_touches(
        "shapley", paths, per_touch * paths.conversions[owner], per_touch * paths.value[owner]
    )


def _path_keys(paths: Paths) -> tuple[np.ndarray, np.ndarray]:
    """A 64-bit polynomial key per path and, per touch, the key of its path without that touch.

    Arithmetic is mod 2^64 with an odd base, which is invertible there: removing a touch moves
    the earlier touches one place down, a multiplication by the inverse, exactly."""
    odd_base = 2 * (paths.n_channels + 1) + 1
    base = np.uint64(odd_base)
    inverse = np.uint64(pow(odd_base, -1, 2**64))
    digits = (paths.codes + 1).astype(np.uint64)
    lengths = paths.lengths
    powers = np.ones(int(lengths.max()) + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(1, len(powers)):  # up to the longest path's length, not per path
            powers[i] = powers[i - 1] * base
        after = np.repeat(lengths, lengths) - paths.position - 1
        term = digits * powers[after]
        keys = np.add.reduceat(term, paths.offsets[:-1])
        running = np.cumsum(term)
        path_start = np.repeat(running[paths.offsets[:-1]] - term[paths.offsets[:-1]], lengths)
        before = running - term - path_start  # the touches of the same path before this one
        drop = (keys[paths.path_of_touch] - before - term) + before * inverse
    return keys, drop


def fractribution(paths: Paths) -> Credit:
    """Google's simplified Shapley: position i of path t gets max(P(t) - P(t without i), 0)."""
    weights = fractribution_weights(paths)
    owner = paths.path_of_touch
    return Credit.from_touches(
        "fractribution", paths, weights * paths.conversions[owner], weights * paths.value[owner]
    )


def fractribution_weights(paths: Paths) -> Floats:
    """Each touch's share of its path's conversion (summing to 1 per path): its positive
    contribution, normalised; the last touch when no touch contributes."""
    keys, drop = _path_keys(paths)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    uniq, first = np.unique(sorted_keys, return_index=True)
    conv = np.add.reduceat(paths.conversions[order], first) if len(first) else np.zeros(0)
    seen = conv + np.add.reduceat(paths.nulls[order], first)
    rate = np.divide(conv, seen, out=np.zeros_like(conv), where=seen > 0)
    p_path = rate[np.searchsorted(uniq, keys)]
    at = np.searchsorted(uniq, drop)
    found = (at < len(uniq)) & (uniq[np.minimum(at, len(uniq) - 1)] == drop)
    p_without = np.where(found, rate[np.minimum(at, len(uniq) - 1)], 0.0)
    owner, lengths = paths.path_of_touch, paths.lengths
    raw = p_path[owner] - p_without
    raw = np.where(raw > _NOISE, raw, 0.0)  # rounding noise is no contribution
    raw = np.where(np.repeat(lengths, lengths) == 1, 1.0, raw)
    totals = np.add.reduceat(raw, paths.offsets[:-1])
    is_last = paths.position == np.repeat(lengths - 1, lengths)
    weights: Floats = np.where(
        np.repeat(totals, lengths) > 0,
        raw / np.where(np.repeat(totals, lengths) > 0, np.repeat(totals, lengths), 1.0),
        is_last.astype(np.float64),
    )
    return weights
