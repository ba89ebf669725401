"""The placebo diagnostic: a synthetic channel with no effect, inserted at a random position of
a random half of the journeys, chosen without regard to whether they convert, and run through
the models. It cannot cause anything (journeys with it convert at the same rate as those
without), so the credit a model gives it (with its interval) is credit that model hands out to
noise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from attribution.models import ModelOptions, run_models
from attribution.models.bootstrap import BootstrapSpec, replicates
from attribution.models.paths import Floats, Paths

PLACEBO = "Placebo (no effect)"


@dataclass(frozen=True)
class PlaceboCredit:
    """What one model credits to the placebo channel: conversions, their interval, and their
    share of all conversions."""

    model: str
    conversions: float
    low: float
    high: float
    share: float


def with_placebo(paths: Paths, seed: int = 0, share: float = 0.5) -> Paths:
    """The paths with a placebo touch in a random `share` of the journeys, chosen without
    regard to whether they convert (a row's converting and non-converting journeys each drawn
    binomially; fractional counts split in proportion), so that the placebo has no effect on
    the conversion rate. It lands at a uniformly random one of the n + 1 places of an n-touch
    path (before the first touch, between two, after the last); in time (for time decay)
    uniformly between its neighbours, or at its successor's time when first, or between the
    last touch and the conversion when last. Rows keep their order: the journeys without the
    placebo first, then those with it."""
    if PLACEBO in paths.channels:
        raise ValueError(f"the paths already hold a channel named {PLACEBO!r}")
    rng = np.random.default_rng(seed)
    conv, nulls = paths.conversions, paths.nulls
    whole = bool(np.all(conv == np.floor(conv)) and np.all(nulls == np.floor(nulls)))
    if whole:
        conv_in = rng.binomial(conv.astype(np.int64), share).astype(np.float64)
        nulls_in = rng.binomial(nulls.astype(np.int64), share).astype(np.float64)
    else:
        conv_in, nulls_in = conv * share, nulls * share
    value_in = np.divide(paths.value * conv_in, conv, out=np.zeros_like(conv), where=conv > 0)
    plain = _rows(paths, conv - conv_in, paths.value - value_in, nulls - nulls_in)
    marked = _inserted(_rows(paths, conv_in, value_in, nulls_in), rng)
    return _joined(plain, marked)


def _rows(paths: Paths, conv: Floats, value: Floats, nulls: Floats) -> Paths:
    """The rows of paths with these counts, leaving out the rows with no journey."""
    keep = np.flatnonzero((conv > 0) | (nulls > 0))
    lengths = paths.lengths[keep]
    touch = np.repeat(paths.offsets[keep], lengths) + (
        np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    return Paths(
        paths.channels,
        np.r_[0, np.cumsum(lengths)].astype(np.int64),
        paths.codes[touch],
        conv[keep],
        value[keep],
        nulls[keep],
        gaps=None if paths.gaps is None else paths.gaps[touch],
        sources=None if paths.sources is None else paths.sources[touch],
    )


def _inserted(paths: Paths, rng: np.random.Generator) -> Paths:
    """Every row with one placebo touch (code: the next channel's), at a random place."""
    lengths = paths.lengths
    at = np.floor(rng.random(paths.n_paths) * (lengths + 1)).astype(np.int64)
    offsets = paths.offsets + np.arange(paths.n_paths + 1, dtype=np.int64)
    owner, pos = paths.path_of_touch, paths.position
    moved = offsets[owner] + pos + (pos >= at[owner])  # each touch's index in the new path
    inserted = offsets[:-1] + at
    codes = np.empty(len(paths.codes) + paths.n_paths, dtype=np.int64)
    codes[moved] = paths.codes
    codes[inserted] = paths.n_channels
    gaps = None
    if paths.gaps is not None:
        gaps = np.empty(len(codes))
        gaps[moved] = paths.gaps
        start, last = paths.offsets[:-1], max(len(paths.gaps) - 1, 0)
        after = np.where(at < lengths, paths.gaps[np.minimum(start + at, last)], 0.0)
        before = np.where(at > 0, paths.gaps[np.maximum(start + at - 1, 0)], after)
        gaps[inserted] = after + rng.random(paths.n_paths) * (before - after)
    sources = None
    if paths.sources is not None:
        sources = np.full(len(codes), -1, dtype=np.int64)
        sources[moved] = paths.sources
    return Paths(
        paths.channels,
        offsets,
        codes,
        paths.conversions,
        paths.value,
        paths.nulls,
        gaps=gaps,
        sources=sources,
    )


def _joined(first: Paths, second: Paths) -> Paths:
    """The rows of both, under the channels plus the placebo."""

    def both(a: NDArray[Any] | None, b: NDArray[Any] | None) -> NDArray[Any] | None:
        return None if a is None or b is None else np.concatenate([a, b])

    return Paths(
        (*first.channels, PLACEBO),
        np.concatenate([first.offsets, second.offsets[1:] + first.offsets[-1]]),
        np.concatenate([first.codes, second.codes]),
        np.concatenate([first.conversions, second.conversions]),
        np.concatenate([first.value, second.value]),
        np.concatenate([first.nulls, second.nulls]),
        gaps=both(first.gaps, second.gaps),
        sources=both(first.sources, second.sources),
    )


def placebo(
    paths: Paths,
    names: Sequence[str],
    options: ModelOptions | None = None,
    spec: BootstrapSpec | None = None,
) -> dict[str, PlaceboCredit]:
    """Each model's credit to a placebo channel inserted into the paths (seeded by the spec),
    keyed like Credit.model."""
    spec = spec or BootstrapSpec()
    marked = with_placebo(paths, spec.seed)
    found = replicates(marked, names, options, spec)
    out: dict[str, PlaceboCredit] = {}
    total = float(paths.conversions.sum())
    for credit in run_models(marked, names, options):
        low, high = found[credit.model].bounds(spec.level)
        point = float(credit.conversions[-1])
        out[credit.model] = PlaceboCredit(
            credit.model, point, float(low[-1]), float(high[-1]), point / total if total else 0.0
        )
    return out
