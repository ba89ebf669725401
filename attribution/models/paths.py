"""Journeys as aggregated paths: channel codes in CSR form, with counts per path.

Every model reads this one shape; it holds no I/O. Arrays, not Python objects per journey."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
T = TypeVar("T", bound=np.generic)


@dataclass(frozen=True)
class Paths:
    """Paths (touch sequences) with their conversions, conversion value and non-conversions.

    Path p's touches are codes[offsets[p]:offsets[p + 1]], each an index into channels. gaps, when
    known, holds each touch's time before its conversion in days (time decay needs it); sources,
    when known, each touch's lead-source id (-1 for none)."""

    channels: tuple[str, ...]
    offsets: Ints
    codes: Ints
    conversions: Floats
    value: Floats
    nulls: Floats
    gaps: Floats | None = None
    sources: Ints | None = None
    # When a path stands for several journeys (Paths.distinct): the largest absolute conversions
    # and value of one of them, shape (2, paths); Markov's per-journey fit measures its error so.
    most: Floats | None = None

    def __post_init__(self) -> None:
        n = len(self.conversions)
        if len(self.offsets) != n + 1 or len(self.value) != n or len(self.nulls) != n:
            raise ValueError("offsets, conversions, value and nulls disagree on the path count")
        if np.any(np.diff(self.offsets) < 1):
            raise ValueError("every path needs at least one touch")
        if self.gaps is not None and len(self.gaps) != len(self.codes):
            raise ValueError("gaps must give one value per touch")
        if self.sources is not None and len(self.sources) != len(self.codes):
            raise ValueError("sources must give one value per touch")
        if self.most is not None and self.most.shape != (2, n):
            raise ValueError("most must give two values per path")

    @property
    def n_paths(self) -> int:
        return len(self.conversions)

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    # Derived arrays are computed once per Paths and read-only: models share them.

    @cached_property
    def lengths(self) -> Ints:
        return _frozen(np.diff(self.offsets))

    @cached_property
    def path_of_touch(self) -> Ints:
        """For each touch, the index of its path."""
        return _frozen(np.repeat(np.arange(self.n_paths, dtype=np.int64), self.lengths))

    @cached_property
    def position(self) -> Ints:
        """For each touch, its 0-based position within its path."""
        return _frozen(
            np.arange(len(self.codes), dtype=np.int64) - np.repeat(self.offsets[:-1], self.lengths)
        )

    @classmethod
    def from_lists(
        cls,
        paths: Sequence[Sequence[str]],
        conversions: Sequence[float],
        value: Sequence[float] | None = None,
        nulls: Sequence[float] | None = None,
    ) -> Paths:
        """Paths from lists of channel names (small inputs: tests, examples)."""
        names = tuple(sorted({c for p in paths for c in p}))
        index = {c: i for i, c in enumerate(names)}
        lengths = np.array([len(p) for p in paths], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        codes = np.array([index[c] for p in paths for c in p], dtype=np.int64)
        n = len(paths)
        return cls(
            channels=names,
            offsets=offsets,
            codes=codes,
            conversions=np.asarray(conversions, dtype=np.float64),
            value=np.zeros(n) if value is None else np.asarray(value, dtype=np.float64),
            nulls=np.zeros(n) if nulls is None else np.asarray(nulls, dtype=np.float64),
        )

    def by_channel(self, per_touch: Floats) -> Floats:
        """A per-touch quantity summed per channel."""
        return np.bincount(self.codes, per_touch, self.n_channels).astype(np.float64)

    @cached_property
    def channel_touch_counts(self) -> Ints:
        """For each touch, how many touches of its channel its path has."""
        pairs, pair_of_touch = dense_ids(self.pair_keys, self.n_paths * max(self.n_channels, 1))
        return _frozen(np.bincount(pair_of_touch, minlength=len(pairs))[pair_of_touch])

    @cached_property
    def pair_keys(self) -> Ints:
        """For each touch, path * n_channels + channel: its (path, channel) pair as a number."""
        return _frozen(self.path_of_touch * max(self.n_channels, 1) + self.codes)

    def distinct(self) -> tuple[Ints, Paths]:
        """Each path's distinct path (equal codes) and the distinct paths, in first-seen order,
        with the counts of their paths summed (gaps and sources, per path, are dropped)."""
        if self.n_paths == 0:
            return np.zeros(0, dtype=np.int64), self
        group, first = _factorize(np.add.reduceat(_key_terms(self), self.offsets[:-1]))
        lengths = self.lengths
        rep = first[group]
        # A 64-bit key could in principle collide: every path must equal its group's first.
        if not np.array_equal(lengths, lengths[rep]) or not np.array_equal(
            self.codes, self.codes[np.repeat(self.offsets[rep], lengths) + self.position]
        ):
            return np.arange(self.n_paths, dtype=np.int64), self
        kept = lengths[first]
        starts_of = np.repeat(self.offsets[first] - np.r_[0, np.cumsum(kept)[:-1]], kept)
        n = len(first)
        most = np.zeros((2, n))
        np.maximum.at(most[0], group, np.abs(self.conversions))
        np.maximum.at(most[1], group, np.abs(self.value))
        if self.most is not None:  # already distinct paths: the largest of their journeys
            np.maximum.at(most[0], group, self.most[0])
            np.maximum.at(most[1], group, self.most[1])
        return group, Paths(
            channels=self.channels,
            offsets=np.r_[0, np.cumsum(kept)].astype(np.int64),
            codes=self.codes[starts_of + np.arange(int(kept.sum()))],
            conversions=np.bincount(group, self.conversions, n).astype(np.float64),
            value=np.bincount(group, self.value, n).astype(np.float64),
            nulls=np.bincount(group, self.nulls, n).astype(np.float64),
            most=most,
        )

    @cached_property
    def channel_sets(self) -> tuple[NDArray[np.bool_], Ints]:
        """The distinct channel sets of the paths (a boolean matrix, a row each, in a stable
        order) and each path's set."""
        if self.n_channels <= 62:  # a set as one integer: unique over numbers, not over rows
            bits = np.left_shift(np.int64(1), self.codes.astype(np.int64))
            masks = np.bitwise_or.reduceat(bits, self.offsets[:-1])
            unique_masks, which = np.unique(masks, return_inverse=True)
            sets = (unique_masks[:, None] >> np.arange(self.n_channels, dtype=np.int64)) & 1 == 1
        else:
            member = np.zeros((self.n_paths, self.n_channels), dtype=bool)
            member[self.path_of_touch, self.codes] = True
            sets, which = np.unique(member, axis=0, return_inverse=True)
        return _frozen(sets), _frozen(which.ravel().astype(np.int64))


def _key_terms(paths: Paths) -> NDArray[np.uint64]:
    """Each touch's term of its path's 64-bit polynomial key (the key is their sum, mod 2^64):
    its code + 1 times an odd base to the power of the touches after it."""
    base = np.uint64(2 * (paths.n_channels + 1) + 1)
    lengths = paths.lengths
    powers = np.ones(int(lengths.max(initial=0)) + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(1, len(powers)):  # up to the longest path's length, not per path
            powers[i] = powers[i - 1] * base
        after = np.repeat(lengths, lengths) - paths.position - 1
        terms: NDArray[np.uint64] = (paths.codes + 1).astype(np.uint64) * powers[after]
    return terms


def path_keys(paths: Paths) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """A 64-bit polynomial key per path and, per touch, the key of its path without that touch.

    Arithmetic is mod 2^64 with an odd base, which is invertible there: removing a touch moves
    the earlier touches one place down, a multiplication by the inverse, exactly."""
    odd_base = 2 * (paths.n_channels + 1) + 1
    inverse = np.uint64(pow(odd_base, -1, 2**64))
    lengths = paths.lengths
    term = _key_terms(paths)
    with np.errstate(over="ignore"):
        keys = np.add.reduceat(term, paths.offsets[:-1])
        running = np.cumsum(term)
        path_start = np.repeat(running[paths.offsets[:-1]] - term[paths.offsets[:-1]], lengths)
        before = running - term - path_start  # the touches of the same path before this one
        drop = (keys[paths.path_of_touch] - before - term) + before * inverse
    return keys, drop


def _factorize(keys: NDArray[np.uint64]) -> tuple[Ints, Ints]:
    """Each key's group, numbered in order of first appearance, and each group's first index.

    Paths repeat a lot (millions of journeys, thousands of distinct paths): the distinct keys
    of a sample, completed by those of the keys it misses, are searched rather than every key
    sorted (a sort of ten million keys costs seconds)."""
    n = len(keys)
    known = np.sort(keys[:: max(1, n // 65536)])  # np.unique would import numpy.ma (10 ms)
    first_of_run = np.ones(len(known), dtype=bool)
    first_of_run[1:] = known[1:] != known[:-1]
    known = known[first_of_run]
    at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
    missed = known[at] != keys
    if missed.any():
        known = np.union1d(known, keys[missed])
        at = np.searchsorted(known, keys)
    first = np.full(len(known), n, dtype=np.int64)
    np.minimum.at(first, at, np.arange(n, dtype=np.int64))
    order = np.argsort(first)  # groups by first appearance
    rank = np.empty(len(known), dtype=np.int64)
    rank[order] = np.arange(len(known))
    return rank[at], first[order]


def _frozen(array: NDArray[T]) -> NDArray[T]:
    array.setflags(write=False)
    return array


def dense_ids(keys: Ints, size: int) -> tuple[Ints, Ints]:
    """The distinct keys ascending and each key's index among them, as np.unique(keys,
    return_inverse=True) gives, for keys in [0, size); by marking the keys present instead of
    a sort when size is not much larger than the number of keys (a pass over size booleans is
    about 30 times cheaper per element than a sort of the keys, and 2^26 of them take 64 MB)."""
    if size > min(16 * len(keys) + 4096, 1 << 26):
        uniques, inverse = np.unique(keys, return_inverse=True)
        return uniques.astype(np.int64), inverse.ravel().astype(np.int64)
    present = np.zeros(size, dtype=bool)
    present[keys] = True
    index = np.cumsum(present, dtype=np.int32) - 1  # size < 2^26: int32 holds it
    return np.flatnonzero(present).astype(np.int64), index[keys].astype(np.int64)
