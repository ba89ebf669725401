"""Coalition Shapley over channel sets, and Google's fractribution over exact paths.

Shapley work is per distinct observed channel set: v(S) is zero for sets no journey has, so
each converting set N sums over the observed subsets of N only (not over 2^n subsets)."""

from __future__ import annotations

from math import comb
from typing import Any

import numpy as np
from numpy.typing import NDArray

from attribution.models.paths import Floats, Ints, Paths, path_keys
from attribution.models.result import Credit

_NOISE = 1e-12  # differences of conversion rates smaller than this are rounding, not signal


def _sets(paths: Paths) -> tuple[NDArray[np.bool_], Ints, Floats, Floats, Floats]:
    """Distinct channel sets as a boolean matrix, each path's set, and per-set totals."""
    sets, which = paths.channel_sets
    conv = np.bincount(which, paths.conversions, len(sets)).astype(np.float64)
    value = np.bincount(which, paths.value, len(sets)).astype(np.float64)
    nulls = np.bincount(which, paths.nulls, len(sets)).astype(np.float64)
    return sets, which, conv, value, nulls


class SetCoefficients:
    """Coalition Shapley as linear algebra: each (set, channel) cell's raw value is a fixed
    combination of the rates v of the set's observed subsets (v(S) is zero for sets no journey
    has, so only observed subsets of N count, never 2^n). The coefficients are one sparse
    (sets, cells) matrix, made once per distinct set; any number of rate vectors (the data's,
    or bootstrap replicates') then cost one product."""

    def __init__(self, sets: NDArray[np.bool_]) -> None:
        from scipy.sparse import csr_matrix

        sizes = sets.sum(axis=1)
        rows: list[Ints] = []
        cols: list[Ints] = []
        coef: list[Floats] = []
        cell_set: list[Ints] = []
        cell_channel: list[Ints] = []
        first = 0
        for k in np.flatnonzero(sizes > 0):  # once per distinct set
            mask = sets[k]
            n = int(sizes[k])
            inside = np.flatnonzero(~(sets[:, ~mask].any(axis=1)) & (sizes > 0))
            sub, s_size = sets[inside][:, mask], sizes[inside]
            # Weights of a subset S when i is in S, and (negative) when i is not.
            w_in = np.array([1.0 / (n * comb(n - 1, int(s) - 1)) for s in s_size])
            w_out = np.array([1.0 / (n * comb(n - 1, int(s))) if s < n else 0.0 for s in s_size])
            rows.append(np.repeat(inside, n))
            cols.append(np.tile(np.arange(first, first + n), len(inside)))
            coef.append(np.where(sub, w_in[:, None], -w_out[:, None]).ravel())
            cell_set.append(np.full(n, k))
            cell_channel.append(np.flatnonzero(mask))
            first += n
        none = np.zeros(0, dtype=np.int64)
        self.matrix: Any = csr_matrix(
            (
                np.concatenate(coef or [np.zeros(0)]),
                (np.concatenate(rows or [none]), np.concatenate(cols or [none])),
            ),
            shape=(len(sets), first),
        )
        self.cell_set = np.concatenate(cell_set or [none])
        self.cell_channel = np.concatenate(cell_channel or [none])
        self.n_sets = len(sets)
        self.size = sizes[self.cell_set]

    def shares(self, conv: Floats, seen: Floats) -> Floats:
        """Each cell's share of its set's credit, (rows, cells), from each row's per-set
        conversions and journeys (rows, sets): v = conv / seen; shares renormalised to 1."""
        v = np.divide(conv, seen, out=np.zeros_like(conv), where=seen > 0)
        phi = np.asarray((self.matrix.T @ v.T).T)
        b = phi.shape[0]
        keys = (np.arange(b)[:, None] * self.n_sets + self.cell_set).ravel()
        total = np.bincount(keys, phi.ravel(), b * self.n_sets).reshape(b, self.n_sets)
        total = total[:, self.cell_set]
        # Below rounding noise the values say nothing: split evenly rather than amplify noise.
        shares: Floats = np.where(
            np.abs(total) > _NOISE, phi / np.where(total != 0, total, 1.0), 1.0 / self.size
        )
        return shares


def set_shares(sets: NDArray[np.bool_], conv: Floats, nulls: Floats, value: Floats) -> Floats:
    """Each set's Shapley shares of its channels (a row per set, summing to 1 where the set has
    credit to give), from the sets' conversions, non-conversions and value: v(S) = conversion
    rate of journeys whose distinct channels are exactly S."""
    coefficients = SetCoefficients(sets)
    cells = coefficients.shares(conv[None, :], (conv + nulls)[None, :])[0]
    credit = (conv > 0) | (value != 0)  # sets with nothing to give keep no shares
    shares = np.zeros(sets.shape)
    keep = credit[coefficients.cell_set]
    shares[coefficients.cell_set[keep], coefficients.cell_channel[keep]] = cells[keep]
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
    weights: Floats = PathRates(paths).weights(paths.conversions[None, :], paths.nulls[None, :])[0]
    return weights


class PathRates:
    """Fractribution's structure of the paths, made once: each path's exact key and, per touch,
    the key of its path without that touch; `weights` then gives every touch's share for any
    number of count vectors (the data's, or bootstrap replicates')."""

    def __init__(self, paths: Paths) -> None:
        keys, drop = path_keys(paths)
        self.paths = paths
        uniq, key_of_path = np.unique(keys, return_inverse=True)
        self.key_of_path = key_of_path.ravel().astype(np.int64)
        at = np.searchsorted(uniq, drop)
        self.drop_key = np.minimum(at, max(len(uniq) - 1, 0))
        self.found = (at < len(uniq)) & (uniq[self.drop_key] == drop) if len(uniq) else at < 0
        self.n_keys = len(uniq)
        lengths = paths.lengths
        self.single = np.repeat(lengths, lengths) == 1
        self.is_last = paths.position == np.repeat(lengths - 1, lengths)

    def weights(self, conv: Floats, nulls: Floats) -> Floats:
        """Every touch's weight, (rows, touches), from per-path counts (rows, paths)."""
        p, b = self.paths, conv.shape[0]
        owner = p.path_of_touch
        keys = (np.arange(b)[:, None] * self.n_keys + self.key_of_path).ravel()
        size = b * self.n_keys
        by_key = np.bincount(keys, conv.ravel(), size).reshape(b, self.n_keys)
        seen = by_key + np.bincount(keys, nulls.ravel(), size).reshape(b, self.n_keys)
        rate = np.divide(by_key, seen, out=np.zeros_like(by_key), where=seen > 0)
        raw = rate[:, self.key_of_path][:, owner] - np.where(self.found, rate[:, self.drop_key], 0)
        raw = np.where(raw > _NOISE, raw, 0.0)  # rounding noise is no contribution
        raw = np.where(self.single, 1.0, raw)
        totals = np.add.reduceat(raw, p.offsets[:-1], axis=1)[:, owner] if len(owner) else raw
        weights: Floats = np.where(
            totals > 0, raw / np.where(totals > 0, totals, 1.0), self.is_last.astype(np.float64)
        )
        return weights
