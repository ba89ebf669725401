"""Models run once per distinct path and spread back over the journeys.

A model of PATH_FILE_MODELS gives a journey credit equal to its row (conversions, value) times
a function of its path alone, so it runs on the distinct paths with their rows summed: the same
per-channel credit, and a share per touch of each distinct path that a journey's row multiplies.
Thousands of distinct paths stand for millions of journeys, so the models' work no longer grows
with the journeys, and a run stores the shares once per path instead of once per conversion."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from attribution.models import PATH_FILE_MODELS, ModelOptions, run_models
from attribution.models.paths import Floats, Ints, Paths
from attribution.models.result import Credit


@dataclass(frozen=True)
class Shares:
    """A model's credit per conversion (conversions) and per unit of value (value) of each
    touch of the distinct paths."""

    conversions: Floats
    value: Floats


def _ratio(part: Floats, whole: Floats) -> Floats:
    """part / whole, 0 where whole is 0 (a path with no conversion, or no value, has no credit)."""
    out = np.zeros(len(part))
    np.divide(part, whole, out=out, where=whole != 0)
    return out


class ByPath:
    """A run's journeys grouped by distinct path (Paths.distinct), running each model once per
    distinct path where the model allows it."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.group, self.distinct = paths.distinct()
        d = self.distinct
        # A path whose journeys' values cancel (sum 0, some non-zero) has no value share to
        # recover: such a run computes every model per journey.
        magnitude = np.bincount(self.group, np.abs(paths.value), d.n_paths)
        self.exact = not np.any((d.value == 0) & (magnitude > 0))
        # Journeys with neither a conversion nor value earn nothing: per-touch credit is given
        # for the touches before them only (a run's converting journeys come first).
        earning = np.flatnonzero((paths.conversions != 0) | (paths.value != 0))
        self.stop = int(paths.offsets[earning[-1] + 1]) if len(earning) else 0
        # Each of those touches' touch in its distinct path.
        journey = paths.path_of_touch[: self.stop]
        self.touch: Ints = d.offsets[self.group[journey]] + paths.position[: self.stop]

    def credit(self, name: str, options: ModelOptions) -> tuple[Credit, Shares | None]:
        """The model's credit with per-touch credit for every journey (for the touches up to
        the last journey with a conversion or value, when it ran per distinct path), and its
        shares per distinct path's touch (None when the model ran per journey: time decay reads
        each touch's time)."""
        if not self.exact or name not in PATH_FILE_MODELS:
            return run_models(self.paths, [name], options)[0], None
        d = self.distinct
        found = run_models(d, [name], options)[0]
        owner = d.path_of_touch
        shares = Shares(
            _ratio(found.touch_conversions, d.conversions[owner]),
            _ratio(found.touch_value, d.value[owner]),
        )
        journey = self.paths.path_of_touch[: self.stop]
        per_touch = replace(
            found,
            touch_conversions=self.paths.conversions[journey] * shares.conversions[self.touch],
            touch_value=self.paths.value[journey] * shares.value[self.touch],
        )
        return per_touch, shares
