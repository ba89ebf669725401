"""Attribution models, pure functions from Paths to Credit, registered by name.

The registry imports no model until one runs, so naming and checking models (the config, the
command line) costs nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from attribution.errors import AttributionError

if TYPE_CHECKING:
    from attribution.models.paths import Paths
    from attribution.models.result import Credit

__all__ = [
    "DEFAULT_MODELS",
    "MODELS",
    "PATH_FILE_MODELS",
    "ModelOptions",
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


Model = Callable[["Paths", ModelOptions], "Credit"]


def _first_touch(p: Paths, o: ModelOptions) -> Credit:
    from attribution.models import heuristic

    return heuristic.first_touch(p)


def _last_touch(p: Paths, o: ModelOptions) -> Credit:
    from attribution.models import heuristic

    return heuristic.last_touch(p)


def _last_non_direct(p: Paths, o: ModelOptions) -> Credit:
    from attribution.models import heuristic

    return heuristic.last_non_direct(p, o.direct)


def _linear(p: Paths, o: ModelOptions) -> Credit:
    from attribution.models import heuristic

    return heuristic.linear(p)


def _position_based(p: Paths, o: ModelOptions) -> Credit:
    from attribution.models import heuristic

    return heuristic.position_based(p, *o.position)


def _position(preset: str) -> Model:
    def run(p: Paths, _: ModelOptions) -> Credit:
        from attribution.models import heuristic

        first, middle, last = heuristic.POSITION_PRESETS[preset]
        return heuristic.position_based(p, first, middle, last).renamed(preset)

    return run


def _time_decay(p: Paths, o: ModelOptions) -> Credit:
    from attribution.models import heuristic

    return heuristic.time_decay(p, o.half_life_days)


def _markov(p: Paths, o: ModelOptions) -> Credit:
    from attribution.models import markov

    return markov.markov(p, o.order)


def _shapley(p: Paths, o: ModelOptions) -> Credit:
    from attribution.models import shapley

    return shapley.shapley(p)


def _fractribution(p: Paths, o: ModelOptions) -> Credit:
    from attribution.models import shapley

    return shapley.fractribution(p)


MODELS: dict[str, Model] = {
    "first_touch": _first_touch,
    "last_touch": _last_touch,
    "last_non_direct": _last_non_direct,
    "linear": _linear,
    "position_based": _position_based,
    "u_shaped": _position("u_shaped"),
    "j_shaped": _position("j_shaped"),
    "inverse_j": _position("inverse_j"),
    "time_decay": _time_decay,
    "markov": _markov,
    "shapley": _shapley,
    "fractribution": _fractribution,
}
PATH_FILE_MODELS = tuple(m for m in MODELS if m != "time_decay")  # a path file has no times
DEFAULT_MODELS = (  # a run's models when none are named
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "shapley",
)


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
