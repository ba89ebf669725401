"""What a model returns: per-channel conversions and value, and optional extras."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Credit:
    """A model's credit per channel; removal effects for Markov."""

    model: str
    channels: tuple[str, ...]
    conversions: Floats
    value: Floats
    removal_conversions: Floats | None = None
    removal_value: Floats | None = None

    def rows(self) -> list[tuple[str, str, float, float]]:
        """(channel, model, conversions, value), channels in name order."""
        return [
            (c, self.model, float(self.conversions[i]), float(self.value[i]))
            for i, c in sorted(enumerate(self.channels), key=lambda t: t[1])
        ]
