"""Exact Markov attribution: absorbing-chain linear algebra (scipy sparse), never simulation.

States are start, the channel states (order k: windows of k consecutive channels; a shorter
path is one state), conversion and null; consecutive identical states are collapsed. Removing a
channel sends every transition into a state that contains it to null."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix, identity
from scipy.sparse.linalg import splu

from .paths import Floats, Ints, Paths, dense_ids
from .result import Credit

MAX_ORDER = 4


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


class Chain:
    """The transition matrix of the paths, normalised, with its absorbing columns apart."""

    def __init__(self, paths: Paths, order: int) -> None:
        if not 1 <= order <= MAX_ORDER:
            raise ValueError(f"order must be 1 to {MAX_ORDER}")
        state, owner, members, n_states = _states(paths, order)
        self.members = members.astype(bool)
        self.n = n_states + 1  # transient: 0 = start, 1..n_states = channel states
        conv, nulls = paths.conversions, paths.nulls
        flow = conv + nulls
        first = np.ones(len(state), dtype=bool)
        first[1:] = owner[1:] != owner[:-1]
        last = np.ones(len(state), dtype=bool)
        last[:-1] = owner[:-1] != owner[1:]
        src = np.concatenate([np.zeros(first.sum(), dtype=np.int64), state[:-1][~last[:-1]] + 1])
        dst = np.concatenate([state[first] + 1, state[1:][~first[1:]] + 1])
        w = np.concatenate([flow[owner[first]], flow[owner[:-1][~last[:-1]]]])
        q = csr_matrix((w, (src, dst)), shape=(self.n, self.n))
        end = state[last] + 1
        to_conv = np.bincount(end, conv[owner[last]], self.n)
        to_null = np.bincount(end, nulls[owner[last]], self.n)
        out = np.asarray(q.sum(axis=1)).ravel() + to_conv + to_null
        scale = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
        self.q = csr_matrix(q.multiply(scale[:, None]))
        self.r_conv: Floats = to_conv * scale
        # Mean conversion value of the paths ending in each state (for the value model).
        value_end = np.bincount(end, paths.value[owner[last]], self.n)
        self.mean_value = np.divide(value_end, to_conv, out=np.zeros(self.n), where=to_conv > 0)

    def conversions_via(self, removed: int | None = None) -> Floats:
        """For each transient state j, the probability that a walk from start converts with j
        as its last step (expected visits to j times j's conversion probability), with channel
        `removed` taken out: every transition into a state containing it goes to null."""
        q = self.q
        if removed is not None:
            hit = np.concatenate([[False], self.members[:, removed]])
            q = csr_matrix(q.multiply(np.where(hit, 0.0, 1.0)[None, :]))
        system = csc_matrix((identity(self.n, format="csr") - q).T)
        start = np.zeros(self.n)
        start[0] = 1.0
        visits: Floats = np.asarray(splu(system).solve(start), dtype=np.float64)
        return visits * self.r_conv


def markov(paths: Paths, order: int = 1) -> Credit:
    """Removal-effect Markov credit for conversions and value, exactly."""
    chain = Chain(paths, order)
    base = chain.conversions_via()
    p = base.sum()  # probability of converting from start
    n_ch = paths.n_channels
    removal = np.zeros(n_ch)
    removal_value = np.zeros(n_ch)
    total_weighted = (chain.mean_value * base).sum()
    for c in range(n_ch):  # one sparse solve per channel, never a loop over paths
        without = chain.conversions_via(removed=c)
        removal[c] = 1.0 - without.sum() / p if p > 0 else 0.0
        if total_weighted > 0:
            removal_value[c] = (chain.mean_value * (base - without)).sum() / total_weighted
    conv_total, value_total = paths.conversions.sum(), paths.value.sum()
    share = removal / removal.sum() if removal.sum() > 0 else np.zeros(n_ch)
    vshare = removal_value / removal_value.sum() if removal_value.sum() > 0 else np.zeros(n_ch)
    conv_out, value_out = share * conv_total, vshare * value_total
    return Credit(
        f"markov_{order}" if order > 1 else "markov",
        paths.channels,
        conv_out,
        value_out,
        touch_conversions=per_conversion(paths, removal, paths.conversions, conv_out),
        touch_value=per_conversion(paths, removal_value, paths.value, value_out),
        removal_conversions=removal,
        removal_value=removal_value,
    )


def per_conversion(paths: Paths, effect: Floats, rows: Floats, columns: Floats) -> Floats:
    """Per-touch credit whose per-journey sums are the journeys' conversions (rows) and whose
    per-channel sums are the Markov totals (columns), by iterative proportional fitting from
    the removal effects of the channels each journey touched.

    Both match whenever some split of each journey over its own channels can give every
    channel its total. A channel credited only through the chain (it leads into converting
    states but lies on no converting journey) cannot be placed on a journey: its drill-down
    then falls short of its total, and the run records the gap.

    Every fitting step keeps a journey's split proportional to its row times a function of its
    channel set, so the fit runs on the distinct channel sets (rows summed) and is spread back:
    the same numbers as fitting every journey, at the cost of a few hundred sets."""
    sets, set_of_path = paths.channel_sets
    n_sets, n_ch = len(sets), max(paths.n_channels, 1)
    owner = paths.path_of_touch
    # The (set, channel) cells present, and each touch's cell.
    cells, cell_of_touch = dense_ids(set_of_path[owner] * n_ch + paths.codes, n_sets * n_ch)
    cell_set, cell_channel = cells // n_ch, cells % n_ch
    set_rows = np.bincount(set_of_path, rows, n_sets).astype(np.float64)
    largest = np.zeros(n_sets)  # the largest row of each set: for the per-journey error
    np.maximum.at(largest, set_of_path, np.abs(rows))
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
