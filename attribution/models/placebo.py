"""The placebo diagnostic: a synthetic channel with no effect, inserted at a random position of
every journey, converting or not, and run through the models. It cannot cause anything, so the
credit a model gives it (with its interval) is credit that model hands out to noise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from attribution.models import ModelOptions, run_models
from attribution.models.bootstrap import BootstrapSpec, replicates
from attribution.models.paths import Paths

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


def with_placebo(paths: Paths, seed: int = 0) -> Paths:
    """The paths with one placebo touch each, at a uniformly random one of the n + 1 places of
    an n-touch path (before the first touch, between two, after the last). In time (for time
    decay) it lies uniformly between its neighbours; first, at its successor's time; last,
    between the last touch and the conversion. A row of a path file is one journey here: its
    journeys share the place."""
    if PLACEBO in paths.channels:
        raise ValueError(f"the paths already hold a channel named {PLACEBO!r}")
    rng = np.random.default_rng(seed)
    lengths = paths.lengths
    at = np.floor(rng.random(paths.n_paths) * (lengths + 1)).astype(np.int64)
    offsets = paths.offsets + np.arange(paths.n_paths + 1, dtype=np.int64)
    owner, pos = paths.path_of_touch, paths.position
    moved = offsets[owner] + pos + (pos >= at[owner])  # each touch's index in the new path
    inserted = offsets[:-1] + at
    codes = np.empty(len(paths.codes) + paths.n_paths, dtype=np.int64)
    codes[moved] = paths.codes
    codes[inserted] = paths.n_channels  # the new channel's code
    gaps = None
    if paths.gaps is not None:
        gaps = np.empty(len(codes))
        gaps[moved] = paths.gaps
        start = paths.offsets[:-1]
        after = np.where(at < lengths, paths.gaps[np.minimum(start + at, len(paths.gaps) - 1)], 0.0)
        before = np.where(at > 0, paths.gaps[np.maximum(start + at - 1, 0)], after)
        gaps[inserted] = after + rng.random(paths.n_paths) * (before - after)
    sources = None
    if paths.sources is not None:
        sources = np.full(len(codes), -1, dtype=np.int64)
        sources[moved] = paths.sources
    return Paths(
        (*paths.channels, PLACEBO),
        offsets,
        codes,
        paths.conversions,
        paths.value,
        paths.nulls,
        gaps=gaps,
        sources=sources,
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
