"""Every model's per-channel credit for many sets of path counts at once (bootstrap
replicates): arrays shaped (replicates, paths) in, (replicates, channels) out.

Rule-based models are linear in the counts: one share matrix, one sparse product. Markov builds
every replicate's chain and solves them in one batched call (a loop over replicates only for
chains too large to solve densely). Shapley and fractribution recompute their rates per
replicate, vectorised over the replicates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from attribution.models import MODELS, ModelOptions
from attribution.models import markov as mk
from attribution.models import shapley as sh
from attribution.models.paths import Floats, Ints, Paths, dense_ids


@dataclass(frozen=True)
class Batch:
    """Per-path counts of several replicates, each (replicates, paths)."""

    conversions: Floats
    value: Floats
    nulls: Floats


@dataclass(frozen=True)
class Figures:
    """Per-channel figures of several replicates, each (replicates, channels)."""

    conversions: Floats
    value: Floats
    removal_conversions: Floats | None = None
    removal_value: Floats | None = None


class Grouper:
    """Sums by fixed keys, for any number of replicates: one bincount over them all (the
    replicates' keys are made once per replicate count and kept)."""

    def __init__(self, keys: Ints, size: int) -> None:
        self.keys, self.size = np.asarray(keys, np.int64), size
        self._flat: dict[int, Ints] = {}

    def __call__(self, weights: Floats) -> Floats:
        b = weights.shape[0]
        flat = self._flat.get(b)
        if flat is None:
            flat = (np.arange(b, dtype=np.int64)[:, None] * self.size + self.keys).ravel()
            self._flat = {b: flat}  # the chunk size; the last chunk may differ once
        out = np.bincount(flat, weights.ravel(), b * self.size).astype(np.float64)
        return out.reshape(b, self.size)


class Shares:
    """A model linear in the counts: each path's split of one conversion over the channels, as
    a sparse (paths, channels) matrix; a replicate's credit is its counts times it."""

    def __init__(
        self,
        paths: Paths,
        name: str,
        options: ModelOptions,
        rows: Ints | None = None,
        row_value: Floats | None = None,
    ) -> None:
        from scipy.sparse import csr_matrix

        unit = Paths(
            paths.channels,
            paths.offsets,
            paths.codes,
            np.ones(paths.n_paths),
            np.ones(paths.n_paths),
            np.zeros(paths.n_paths),
            gaps=paths.gaps,
        )
        credit = MODELS[name](unit, options)
        self.model = credit.model
        shape = (paths.n_paths, max(paths.n_channels, 1))
        matrix = csr_matrix(
            (credit.touch_conversions, (paths.path_of_touch, paths.codes)), shape=shape
        )
        self.matrix: Any = matrix if rows is None else matrix[rows]  # rows: those counted
        # With each row's value given, a replicate's value credit is its counts times the
        # shares weighted by value (the batch's value is then not read).
        self.valued: Any = None
        if row_value is not None:
            self.valued = csr_matrix(self.matrix.multiply(row_value[:, None]))

    def figures(self, batch: Batch) -> Figures:
        m, counts = self.matrix, batch.conversions.T
        value = (m.T @ batch.value.T) if self.valued is None else (self.valued.T @ counts)
        return Figures(np.asarray((m.T @ counts).T), np.asarray(value.T))


class Markov:
    """Removal-effect Markov on every replicate's chain."""

    def __init__(self, paths: Paths, order: int) -> None:
        self.model = mk.model_name(order)
        self.moves = mv = mk.moves(paths, order)
        self.n_channels = paths.n_channels
        from scipy.sparse import csr_matrix

        # The distinct moves, and how often each path makes each: a replicate's move counts
        # are its path counts times this incidence matrix (one sparse product).
        keys, move_of = dense_ids(mv.src * mv.n + mv.dst, mv.n * mv.n)
        self.src, self.dst = keys // mv.n, keys % mv.n
        ones = np.ones(len(move_of))
        shape = (paths.n_paths, len(keys))
        self.incidence: Any = csr_matrix((ones, (mv.owner, move_of)), shape=shape)
        self.by_end = Grouper(mv.end, mv.n)
        self.by_src = Grouper(self.src, mv.n)
        self.by_move = Grouper(keys, mv.n * mv.n)

    def figures(self, batch: Batch) -> Figures:
        mv = self.moves
        if mv.n > mk.DENSE_STATES:  # sparse chains: one replicate at a time
            results = [
                mk.removal(
                    mk.Chain(mv.counted(c, n, v)), self.n_channels, float(c.sum()), float(v.sum())
                )
                for c, n, v in zip(batch.conversions, batch.nulls, batch.value, strict=True)
            ]
            return Figures(*(np.array([getattr(r, k) for r in results]) for k in _REMOVAL_FIELDS))
        return self._dense(batch)

    def _dense(self, batch: Batch) -> Figures:
        mv, n, n_ch = self.moves, self.moves.n, self.n_channels
        b = batch.conversions.shape[0]
        weight = np.asarray((self.incidence.T @ (batch.conversions + batch.nulls).T).T)
        to_conv = self.by_end(batch.conversions)
        to_null = self.by_end(batch.nulls)
        value_end = self.by_end(batch.value)
        out = self.by_src(weight) + to_conv + to_null
        scale = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
        share = weight * scale[:, self.src]
        q = self.by_move(share).reshape(b, n, n)
        r_conv = to_conv * scale
        mean_value = np.divide(value_end, to_conv, out=np.zeros_like(to_conv), where=to_conv > 0)
        keep = np.ones((n_ch + 1, n))  # row 0: nothing removed; row 1 + c: channel c removed
        keep[1:, 1:] = ~mv.members.T
        system = np.eye(n) - q[:, None, :, :] * keep[None, :, None, :]
        start = np.zeros((n, 1))
        start[0] = 1.0
        visits = np.linalg.solve(np.swapaxes(system, -1, -2), start)[..., 0]  # (b, n_ch+1, n)
        via = visits * r_conv[:, None, :]
        base, without = via[:, 0, :], via[:, 1:, :]
        p = base.sum(axis=1)
        effect = np.where(
            p[:, None] > 0, 1.0 - without.sum(axis=2) / np.where(p > 0, p, 1.0)[:, None], 0.0
        )
        weighted = (mean_value * base).sum(axis=1)
        lost = (mean_value[:, None, :] * (base[:, None, :] - without)).sum(axis=2)
        effect_value = np.where(
            weighted[:, None] > 0, lost / np.where(weighted > 0, weighted, 1.0)[:, None], 0.0
        )
        conv_total = batch.conversions.sum(axis=1, keepdims=True)
        value_total = batch.value.sum(axis=1, keepdims=True)
        return Figures(
            _split(effect) * conv_total, _split(effect_value) * value_total, effect, effect_value
        )


_REMOVAL_FIELDS = ("conversions", "value", "removal_conversions", "removal_value")


def _split(effect: Floats) -> Floats:
    """Each row's effects as shares of the row's sum (0 where the sum is not positive)."""
    total = effect.sum(axis=1, keepdims=True)
    shares: Floats = np.divide(effect, total, out=np.zeros_like(effect), where=total > 0)
    return shares


class Shapley:
    """Coalition Shapley per channel set, v(S) per replicate (shapley.SetCoefficients)."""

    model = "shapley"

    def __init__(self, paths: Paths) -> None:
        sets, which = paths.channel_sets
        self.by_set = Grouper(which, len(sets))
        self.coefficients = c = sh.SetCoefficients(sets)
        self.by_channel = Grouper(c.cell_channel, max(paths.n_channels, 1))

    def figures(self, batch: Batch) -> Figures:
        conv = self.by_set(batch.conversions)
        value = self.by_set(batch.value)
        share = self.coefficients.shares(conv, conv + self.by_set(batch.nulls))
        cells = self.coefficients.cell_set
        return Figures(
            self.by_channel(share * conv[:, cells]), self.by_channel(share * value[:, cells])
        )


class Fractribution:
    """Google's simplified Shapley: each path's rate and its one-touch-removed rates per
    replicate (shapley.PathRates)."""

    model = "fractribution"

    def __init__(self, paths: Paths) -> None:
        self.rates = sh.PathRates(paths)
        self.owner = paths.path_of_touch
        self.by_channel = Grouper(paths.codes, max(paths.n_channels, 1))

    def figures(self, batch: Batch) -> Figures:
        weights = self.rates.weights(batch.conversions, batch.nulls)
        return Figures(
            self.by_channel(weights * batch.conversions[:, self.owner]),
            self.by_channel(weights * batch.value[:, self.owner]),
        )
