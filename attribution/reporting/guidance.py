"""Which models did best on the benchmark's simulated scenarios closest in shape to a run's
journeys (reports/model_guidance.json, written by benchmarks/coverage.py --write-guidance);
worded never beyond what the benchmark shows."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attribution.reporting.render import model_label
from attribution.resources import TEMPLATES_DIR
from attribution.warehouse.connection import Warehouse

GUIDANCE_FILE = TEMPLATES_DIR / "model_guidance.json"
# The shape's features: (name, on a log scale, the difference that counts as one unit).
FEATURES = (
    ("touches_per_journey", True, 0.35),
    ("multi_touch_share", False, 0.2),
    ("conversion_rate", True, 0.7),
    ("channels", True, 0.35),
)
NEAR = 2.0  # a scenario further than this is not like the data


@dataclass(frozen=True)
class Advice:
    """The method note's sentence, the scenarios it rests on and the models best first."""

    text: str
    scenarios: tuple[str, ...]
    models: tuple[str, ...]


def load(path: Path = GUIDANCE_FILE) -> dict[str, Any] | None:
    """The shipped guidance, or None when there is none."""
    if not path.is_file():
        return None
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return found


def distance(shape: Mapping[str, float], other: Mapping[str, float]) -> float:
    """How unlike two shapes are, in units of FEATURES (0: the same)."""
    total = 0.0
    for name, log, unit in FEATURES:
        a, b = float(shape[name]), float(other[name])
        if log:
            a, b = math.log(max(a, 1e-6)), math.log(max(b, 1e-6))
        total += ((a - b) / unit) ** 2
    return math.sqrt(total)


def _pct(share: float) -> str:
    return f"{share * 100:.0f}\u00a0%"  # no line break between the number and its sign


def describe(shape: Mapping[str, float]) -> str:
    return (
        f"{shape['touches_per_journey']:.1f} touches per converting journey, "
        f"{shape['conversion_rate'] * 100:.1f} % of journeys converting, "
        f"{shape['channels']:.0f} channels"
    )


def advise(
    shape: Mapping[str, float],
    guidance: Mapping[str, Any],
    models: Sequence[str] | None = None,
    closest: int = 2,
) -> Advice:
    """The models nearest the true shares (mean half-L1) on the `closest` scenarios near the
    shape (among `models` when given); or, when none is near, that the benchmark cannot say."""
    ranked = sorted(guidance["scenarios"], key=lambda s: distance(shape, s["shape"]))
    near = [s for s in ranked[:closest] if distance(shape, s["shape"]) <= NEAR]
    if not near:
        return Advice(
            f"This run's journeys ({describe(shape)}) are unlike every scenario of the "
            f"simulated benchmark (the nearest: {ranked[0]['name']}, {describe(ranked[0]['shape'])}"
            "), so it does not say which model suits them.",
            (),
            (),
        )
    scored = [m for m in near[0]["models"] if all(m in s["models"] for s in near)]
    kept = [m for m in scored if models is None or m in models] or scored
    mean = {m: sum(s["models"][m]["half_l1"] for s in near) / len(near) for m in kept}
    order = sorted(kept, key=lambda m: (mean[m], m))
    first, worst = order[0], order[-1]
    then = f", then {model_label(order[1])} ({_pct(mean[order[1]])})" if len(order) > 2 else ""
    last = f"; {model_label(worst)} was farthest ({_pct(mean[worst])})" if len(order) > 1 else ""
    names = "; ".join(f"{s['name'].replace('_', ' ')}: {s['summary']}" for s in near)
    return Advice(
        f"On the simulated benchmark scenarios most like this run's journeys ({names}), "
        f"{model_label(first)} came nearest the true channel shares, with {_pct(mean[first])} "
        f"of conversions credited to the wrong channels{then}{last}. These are simulations "
        "with known effects: they show how the models behave on journeys like these, not "
        "which is right for this data.",
        tuple(s["name"] for s in near),
        tuple(order),
    )


def shape_of_run(wh: Warehouse, run_id: int) -> dict[str, float] | None:
    """A stored run's journey shape (sql/metrics/journey_shape.sql); None with no conversions."""
    row = wh.fetchone("metrics/journey_shape", {"run_id": run_id})
    if row is None or row[0] is None:
        return None
    names = ("touches_per_journey", "multi_touch_share", "conversion_rate", "channels")
    return {n: float(v or 0) for n, v in zip(names, row, strict=True)}


def run_advice(wh: Warehouse, run_id: int, models: Sequence[str]) -> Advice | None:
    """The advice for a stored run, or None without a shape or a guidance file."""
    guidance = load()
    shape = shape_of_run(wh, run_id)
    return None if guidance is None or shape is None else advise(shape, guidance, models)
