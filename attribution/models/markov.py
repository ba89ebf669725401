"""Exact Markov attribution: absorbing-chain linear algebra, never simulation. A chain of up to
DENSE_STATES states is solved densely (numpy's LAPACK); a larger one with scipy's sparse LU,
imported only then.

States are start, the channel states (order k: windows of k consecutive channels; a shorter
path is one state), conversion and null; consecutive identical states are collapsed. Removing a
channel sends every transition into a state that contains it to null."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from attribution.models.paths import Floats, Ints, Paths, dense_ids
from attribution.models.result import Credit

MAX_ORDER = 4
DENSE_STATES = 200  # measured: up to here a dense solve beats the sparse LU (and needs no scipy)


def _states(paths: Paths, order: int) -> tuple[Ints, Ints, Ints, int]:
    """(state of each kept step, path of each kept step, state -> channels matrix rows, count).

    A step is a window of `order` touches starting at a position; shorter paths have one."""
    base = paths.n_channels + 1
    pos, lengths = paths.position, np.repeat(paths.lengths, paths.lengths)
    starts = (pos <= lengths - order) | ((pos == 0) & (lengths < order))
    key = np.zeros(len(paths.codes), dtype=np.int64)
    for t in range(order):  # k <= 4 passes over the touch arrays, never a loop over paths
        shifted = np.zeros(len(paths.codes), dtype=np.int64)
        if t == 0:
            shifted = paths.codes + 1
        else:
            inside = pos + t < lengths
            ahead = np.minimum(np.arange(len(paths.codes)) + t, len(paths.codes) - 1)
            shifted = np.where(inside, paths.codes[ahead] + 1, 0)
        key = key * base + shifted
    key, owner = key[starts], paths.path_of_touch[starts]
    keep = np.ones(len(key), dtype=bool)
    keep[1:] = (key[1:] != key[:-1]) | (owner[1:] != owner[:-1])  # collapse repeats in a path
    key, owner = key[keep], owner[keep]
    uniques, state = dense_ids(key, base**order)
    # Which channels each state contains: decode the window keys digit by digit.
    members = np.zeros((len(uniques), paths.n_channels), dtype=bool)
    rest = uniques.copy()
    for _ in range(order):
        digit = rest % base
        valid = digit > 0
        members[np.flatnonzero(valid), digit[valid] - 1] = True
        rest //= base
    return state.astype(np.int64), owner, members.view(np.int8).astype(np.int64), len(uniques)


@dataclass(frozen=True)
class Transitions:
    """A chain's counts, whichever engine aggregated them: states 0 = start, 1..n_states the
    channel states (members: which channels each contains); weight of each (src, dst) move;
    per state, the conversions, non-conversions and value of the journeys ending there."""

    members: NDArray[np.bool_]
    src: Ints
    dst: Ints
    weight: Floats
    to_conv: Floats
    to_null: Floats
    value_end: Floats

    @property
    def n(self) -> int:
        return len(self.members) + 1


@dataclass(frozen=True)
class Moves:
    """A chain's structure without its counts: each move (src, dst) with the path that makes
    it, and each path's last state; the counts come from any path counts (the data's, or a
    bootstrap replicate's)."""

    members: NDArray[np.bool_]
    src: Ints
    dst: Ints
    owner: Ints  # the path of each move
    end: Ints  # the last state of each path (paths in order)
    n: int

    def counted(self, conversions: Floats, nulls: Floats, value: Floats) -> Transitions:
        """The chain's counts for these per-path counts."""
        flow = conversions + nulls
        return Transitions(
            members=self.members,
            src=self.src,
            dst=self.dst,
            weight=flow[self.owner],
            to_conv=np.bincount(self.end, conversions, self.n).astype(np.float64),
            to_null=np.bincount(self.end, nulls, self.n).astype(np.float64),
            value_end=np.bincount(self.end, value, self.n).astype(np.float64),
        )


def moves(paths: Paths, order: int) -> Moves:
    """The moves of the paths' chain (states numbered as `transitions` numbers them)."""
    if not 1 <= order <= MAX_ORDER:
        raise ValueError(f"order must be 1 to {MAX_ORDER}")
    state, owner, members, n_states = _states(paths, order)
    first = np.ones(len(state), dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    last = np.ones(len(state), dtype=bool)
    last[:-1] = owner[:-1] != owner[1:]
    return Moves(
        members=members.astype(bool),
        src=np.concatenate([np.zeros(first.sum(), dtype=np.int64), state[:-1][~last[:-1]] + 1]),
        dst=np.concatenate([state[first] + 1, state[1:][~first[1:]] + 1]),
        owner=np.concatenate([owner[first], owner[:-1][~last[:-1]]]),
        end=state[last] + 1,  # every path has a last state, in path order
        n=n_states + 1,
    )


def transitions(paths: Paths, order: int) -> Transitions:
    """The chain's counts from paths held in memory (journeys, or a SQL run's distinct paths
    with their counts)."""
    return moves(paths, order).counted(paths.conversions, paths.nulls, paths.value)


class Chain:
    """The transition matrix of the paths, normalised, with its absorbing columns apart."""

    def __init__(self, counts: Paths | Transitions, order: int = 1) -> None:
        t = transitions(counts, order) if isinstance(counts, Paths) else counts
        self.members = t.members
        self.n = t.n  # transient: 0 = start, 1..n_states = channel states
        self.dense = self.n <= DENSE_STATES
        leaving = np.bincount(t.src, t.weight, self.n)
        out = leaving + t.to_conv + t.to_null
        scale = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
        share = t.weight * scale[t.src]
        if self.dense:
            q = np.zeros((self.n, self.n))
            np.add.at(q, (t.src, t.dst), share)
            self.q: Any = q
        else:
            from scipy.sparse import csr_matrix

            self.q = csr_matrix((share, (t.src, t.dst)), shape=(self.n, self.n))
        self.r_conv: Floats = t.to_conv * scale
        # Mean conversion value of the paths ending in each state (for the value model).
        self.mean_value = np.divide(
            t.value_end, t.to_conv, out=np.zeros(self.n), where=t.to_conv > 0
        )

    def conversions_via(self, removed: int | None = None) -> Floats:
        """For each transient state j, the probability that a walk from start converts with j
        as its last step (expected visits to j times j's conversion probability), with channel
        `removed` taken out: every transition into a state containing it goes to null."""
        keep = np.ones(self.n)
        if removed is not None:
            keep[1:][self.members[:, removed]] = 0.0
        start = np.zeros(self.n)
        start[0] = 1.0
        if self.dense:
            system = np.eye(self.n) - self.q * keep[None, :]
            visits: Floats = np.linalg.solve(system.T, start)
        else:
            from scipy.sparse import csc_matrix, csr_matrix, identity
            from scipy.sparse.linalg import splu

            q = csr_matrix(self.q.multiply(keep[None, :]))
            transposed = csc_matrix((identity(self.n, format="csr") - q).T)
            visits = np.asarray(splu(transposed).solve(start), dtype=np.float64)
        return visits * self.r_conv


@dataclass(frozen=True)
class Removal:
    """Markov's per-channel results: removal effects and credited conversions and value."""

    conversions: Floats
    value: Floats
    removal_conversions: Floats
    removal_value: Floats


def removal(chain: Chain, n_channels: int, conv_total: float, value_total: float) -> Removal:
    """Each channel's removal effect, and the totals shared out in proportion to them."""
    base = chain.conversions_via()
    p = base.sum()  # probability of converting from start
    effect = np.zeros(n_channels)
    effect_value = np.zeros(n_channels)
    total_weighted = (chain.mean_value * base).sum()
    for c in range(n_channels):  # one sparse solve per channel, never a loop over paths
        without = chain.conversions_via(removed=c)
        effect[c] = 1.0 - without.sum() / p if p > 0 else 0.0
        if total_weighted > 0:
            effect_value[c] = (chain.mean_value * (base - without)).sum() / total_weighted
    share = effect / effect.sum() if effect.sum() > 0 else np.zeros(n_channels)
    vshare = effect_value / effect_value.sum() if effect_value.sum() > 0 else np.zeros(n_channels)
    return Removal(share * conv_total, vshare * value_total, effect, effect_value)


def model_name(order: int) -> str:
    return f"markov_{order}" if order > 1 else "markov"


def markov(paths: Paths, order: int = 1) -> Credit:
    """Removal-effect Markov credit for conversions and value, exactly."""
    r = removal(Chain(paths, order), paths.n_channels, paths.conversions.sum(), paths.value.sum())
    return Credit(
        model_name(order),
        paths.channels,
        r.conversions,
        r.value,
        touch_conversions=per_conversion(
            paths, r.removal_conversions, paths.conversions, r.conversions, _most(paths, 0)
        ),
        touch_value=per_conversion(paths, r.removal_value, paths.value, r.value, _most(paths, 1)),
        removal_conversions=r.removal_conversions,
        removal_value=r.removal_value,
    )


def _most(paths: Paths, row: int) -> Floats | None:
    return None if paths.most is None else paths.most[row]


def per_conversion(
    paths: Paths, effect: Floats, rows: Floats, columns: Floats, most: Floats | None = None
) -> Floats:
    """Per-touch credit whose per-journey sums are the journeys' conversions (rows) and whose
    per-channel sums are the Markov totals (columns), by iterative proportional fitting from
    the removal effects of the channels each journey touched.

    Both match whenever some split of each journey over its own channels can give every
    channel its total. A channel credited only through the chain (it leads into converting
    states but lies on no converting journey) cannot be placed on a journey: its drill-down
    then falls short of its total, and the run records the gap.

    Every fitting step keeps a journey's split proportional to its row times a function of its
    channel set, so the fit runs on the distinct channel sets (rows summed) and is spread back:
    the same numbers as fitting every journey, at the cost of a few hundred sets. most: each
    path's largest row of one journey, when a path stands for several (the fit's error is
    measured per journey, so distinct paths stop where their journeys would)."""
    sets, set_of_path = paths.channel_sets
    n_sets, n_ch = len(sets), max(paths.n_channels, 1)
    owner = paths.path_of_touch
    # The (set, channel) cells present, and each touch's cell.
    cells, cell_of_touch = dense_ids(set_of_path[owner] * n_ch + paths.codes, n_sets * n_ch)
    cell_set, cell_channel = cells // n_ch, cells % n_ch
    set_rows = np.bincount(set_of_path, rows, n_sets).astype(np.float64)
    largest = np.zeros(n_sets)  # the largest row of each set: for the per-journey error
    np.maximum.at(largest, set_of_path, np.abs(rows) if most is None else most)
    share = fit_shares(effect[cell_channel], cell_set, cell_channel, set_rows, columns, largest)
    # Each journey: its row times its set's share of the channel, split over the channel's
    # touches in the journey.
    per_touch: Floats = rows[owner] * share[cell_of_touch] / paths.channel_touch_counts
    return per_touch


def fit_shares(
    weight: Floats,
    cell_set: Ints,
    cell_channel: Ints,
    set_rows: Floats,
    columns: Floats,
    largest: Floats,
) -> Floats:
    """Iterative proportional fitting on (set, channel) cells: each set's shares sum to 1 where
    some of its rows is not zero, and the rows times the shares sum to each channel's column
    total. largest: each set's largest absolute row (the error is measured per journey)."""
    n_sets, n_ch = len(set_rows), len(columns)
    weight = weight * (largest[cell_set] > 0)
    floor = 1e-12 * max(np.abs(set_rows).sum(), np.abs(columns).sum(), 1.0)
    tol = 1e-12 * max(float(np.abs(set_rows).sum()), 1.0)
    error = np.inf
    for _ in range(200):  # sweeps over the cells; converges geometrically
        row_sum = np.bincount(cell_set, weight, n_sets)
        weight = weight / np.where(row_sum > 0, row_sum, 1.0)[cell_set]
        col_sum = np.bincount(cell_channel, weight * set_rows[cell_set], n_ch)
        weight *= np.divide(columns, col_sum, out=np.ones_like(columns), where=col_sum > floor)[
            cell_channel
        ]
        row_sum = np.bincount(cell_set, weight, n_sets)
        last = error
        error = float((largest * np.abs(row_sum - (largest > 0))).max(initial=0.0))
        if error <= tol or error >= last * (1 - 1e-9):
            break  # fitted, or as close as this data allows
    share: Floats = weight
    return share
