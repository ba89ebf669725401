"""Journeys as aggregated paths: channel codes in CSR form, with counts per path.

Every model reads this one shape; it holds no I/O. Arrays, not Python objects per journey."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


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

    @property
    def n_paths(self) -> int:
        return len(self.conversions)

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def lengths(self) -> Ints:
        return np.diff(self.offsets)

    @property
    def path_of_touch(self) -> Ints:
        """For each touch, the index of its path."""
        return np.repeat(np.arange(self.n_paths, dtype=np.int64), self.lengths)

    @property
    def position(self) -> Ints:
        """For each touch, its 0-based position within its path."""
        return np.arange(len(self.codes), dtype=np.int64) - np.repeat(
            self.offsets[:-1], self.lengths
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

    def channel_touch_counts(self) -> Ints:
        """For each touch, how many touches of its channel its path has."""
        key = self.path_of_touch * max(self.n_channels, 1) + self.codes
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        repeated: Ints = counts[inverse.ravel()].astype(np.int64)
        return repeated
