"""What a model returns: per-channel conversions and value, and optional extras."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from attribution.models.paths import Paths

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Credit:
    """A model's credit per channel, and per touch of its paths (for drill-down by conversion
    and by lead source: the per-touch credit sums to the per-channel totals; it may stop at the
    last path that earns credit, models/spread.py); removal effects for Markov."""

    model: str
    channels: tuple[str, ...]
    conversions: Floats
    value: Floats
    touch_conversions: Floats
    touch_value: Floats
    removal_conversions: Floats | None = None
    removal_value: Floats | None = None

    @classmethod
    def from_touches(
        cls, model: str, paths: Paths, touch_conversions: Floats, touch_value: Floats, **extra: Any
    ) -> Credit:
        """Credit whose per-channel totals are the sums of the per-touch credit."""
        return cls(
            model,
            paths.channels,
            paths.by_channel(touch_conversions),
            paths.by_channel(touch_value),
            touch_conversions,
            touch_value,
            **extra,
        )

    def renamed(self, model: str) -> Credit:
        return replace(self, model=model)
