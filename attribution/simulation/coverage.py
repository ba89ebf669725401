"""Coverage studies in memory: over many simulated data sets of one scenario, how often each
model's bootstrap interval of conversions holds the model's value on a very large sample of
the same process; with each data set's scores against the truth, and the scenario's shape."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from attribution.models import ModelOptions, run_models
from attribution.models.bootstrap import BootstrapSpec, replicates
from attribution.models.paths import Floats, Paths
from attribution.simulation.scenarios import Scenario
from attribution.simulation.scores import score
from attribution.simulation.world import simulate, to_paths

REFERENCE_SEED = 1_000_003  # the large sample's seed: apart from the data sets' seeds 0, 1, ...


@dataclass
class ModelStudy:
    """One model's results over a scenario's data sets."""

    model: str
    hits: int = 0  # channel intervals that held the large sample's value
    trials: int = 0  # channel intervals drawn
    half_l1: list[float] = field(default_factory=list)
    tau_b: list[float] = field(default_factory=list)
    top3: list[bool] = field(default_factory=list)
    truth_coverage: list[float] = field(default_factory=list)  # of the true values

    @property
    def coverage(self) -> float:
        return self.hits / self.trials if self.trials else float("nan")

    def summary(self) -> dict[str, float]:
        """Means over the data sets, for the guidance file."""
        return {
            "coverage": round(self.coverage, 4),
            "half_l1": round(float(np.mean(self.half_l1)), 4),
            "tau_b": round(float(np.nanmean(self.tau_b)), 4),
            "top3": round(float(np.mean(self.top3)), 4),
            "truth_coverage": round(float(np.mean(self.truth_coverage)), 4),
        }


def shape(paths: Paths) -> dict[str, float]:
    """The shape of journeys the guidance compares: touches per converting journey, the share
    of converting journeys with several touches, the conversion rate, the channels."""
    converting = paths.conversions > 0
    lengths = paths.lengths[converting]
    total = float(paths.conversions.sum() + paths.nulls.sum())
    return {
        "touches_per_journey": round(float(lengths.mean()) if len(lengths) else 0.0, 4),
        "multi_touch_share": round(float(np.mean(lengths > 1)) if len(lengths) else 0.0, 4),
        "conversion_rate": round(float(paths.conversions.sum()) / total if total else 0.0, 4),
        "channels": float(len(np.unique(paths.codes[converting[paths.path_of_touch]]))),
    }


def reference(
    scenario: Scenario, models: Sequence[str], journeys: int, options: ModelOptions
) -> dict[str, dict[str, float]]:
    """Each model's conversions per journey and channel on a large sample of the scenario."""
    paths = to_paths(simulate(scenario, journeys, REFERENCE_SEED))
    return {
        c.model: {ch: float(v) / journeys for ch, v in zip(c.channels, c.conversions, strict=True)}
        for c in run_models(paths, models, options)
    }


def study(
    scenario: Scenario,
    models: Sequence[str],
    *,
    datasets: int,
    journeys: int,
    large: int,
    spec: BootstrapSpec,
    options: ModelOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[ModelStudy], dict[str, float]]:
    """Per model, the coverage of the large sample's value over `datasets` simulated data sets
    of `journeys` each (seeds 0, 1, ...), and their scores; and the scenario's mean shape."""
    opts = options or ModelOptions()
    say = progress or (lambda _: None)
    say(f"{scenario.name}: the large sample ({large:,} journeys)")
    target = reference(scenario, models, large, opts)
    found = {m: ModelStudy(m) for m in models}
    shapes: list[dict[str, float]] = []
    for seed in range(datasets):  # a pass per data set; each is whole arrays
        if seed % 10 == 0:
            say(f"{scenario.name}: data set {seed + 1} of {datasets}")
        sim = simulate(scenario, journeys, seed)
        paths = to_paths(sim)
        shapes.append(shape(paths))
        credits = run_models(paths, models, opts)
        each = BootstrapSpec(spec.level, spec.resamples, seed, spec.method)
        drawn = replicates(paths, models, opts, each)
        for credit in credits:
            low, high = drawn[credit.model].bounds(spec.level, "conversions")
            s = score(credit.model, credit.channels, credit.conversions, sim.truth, (low, high))
            value: Floats = np.array(
                [target[credit.model].get(c, 0.0) * journeys for c in credit.channels]
            )
            result = found[credit.model]
            result.hits += int(np.sum((low <= value) & (value <= high)))
            result.trials += len(value)
            result.half_l1.append(s.half_l1)
            result.tau_b.append(s.tau_b)
            result.top3.append(s.top3)
            result.truth_coverage.append(s.coverage if s.coverage is not None else np.nan)
    mean_shape = {k: round(float(np.mean([s[k] for s in shapes])), 4) for k in shapes[0]}
    return list(found.values()), mean_shape
