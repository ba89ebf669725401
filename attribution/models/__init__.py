"""Attribution models, pure functions from Paths to Credit, registered by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..errors import AttributionError
from . import heuristic, markov, shapley
from .paths import Paths
from .result import Credit

__all__ = [
    "MODELS",
    "PATH_FILE_MODELS",
    "Credit",
    "ModelOptions",
    "Paths",
    "check_names",
    "run_models",
]


@dataclass(frozen=True)
class ModelOptions:
    """Options of the models that take any; one set per run."""

    order: int = 1  # Markov order, 1 to 4
    direct: tuple[str, ...] = ("Direct",)  # channels last_non_direct passes over
    half_life_days: float = 7.0  # time_decay
    position: tuple[float, float, float] = field(default=(0.4, 0.2, 0.4))  # position_based


def _position(preset: str) -> Callable[[Paths, ModelOptions], Credit]:
    first, middle, last = heuristic.POSITION_PRESETS[preset]

    def run(p: Paths, _: ModelOptions) -> Credit:
        return heuristic.position_based(p, first, middle, last).renamed(preset)

    return run


MODELS: dict[str, Callable[[Paths, ModelOptions], Credit]] = {
    "first_touch": lambda p, o: heuristic.first_touch(p),
    "last_touch": lambda p, o: heuristic.last_touch(p),
    "last_non_direct": lambda p, o: heuristic.last_non_direct(p, o.direct),
    "linear": lambda p, o: heuristic.linear(p),
    "position_based": lambda p, o: heuristic.position_based(p, *o.position),
    "u_shaped": _position("u_shaped"),
    "j_shaped": _position("j_shaped"),
    "inverse_j": _position("inverse_j"),
    "time_decay": lambda p, o: heuristic.time_decay(p, o.half_life_days),
    "markov": lambda p, o: markov.markov(p, o.order),
    "shapley": lambda p, o: shapley.shapley(p),
    "fractribution": lambda p, o: shapley.fractribution(p),
}
PATH_FILE_MODELS = tuple(m for m in MODELS if m != "time_decay")  # a path file has no times


def check_names(names: Sequence[str], valid: Sequence[str] | None = None) -> list[str]:
    """The names, or an error listing the valid ones (all models, or those given)."""
    allowed = list(MODELS) if valid is None else list(valid)
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise AttributionError(
            f"unknown model(s) {', '.join(unknown)}; valid: {', '.join(allowed)}"
        )
    return list(dict.fromkeys(names))


def run_models(
    paths: Paths, names: Sequence[str], options: ModelOptions | None = None
) -> list[Credit]:
    """Each named model's credit, in the order asked."""
    opts = options or ModelOptions()
    return [MODELS[name](paths, opts) for name in check_names(names)]
