"""Coverage of the bootstrap intervals on a small grid (benchmarks/coverage.py prints the full
figure): over independent simulated data sets, each model's 90 % interval of conversions holds
its value on a large sample of the same process about 90 % of the time."""

from __future__ import annotations

import math

from attribution.models.bootstrap import BootstrapSpec
from attribution.simulation.coverage import study
from attribution.simulation.scenarios import SCENARIOS

MODELS = ("first_touch", "linear", "markov", "shapley")
DATASETS, CHANNELS = 30, 6


def test_ninety_percent_intervals_hold_the_large_sample_value_about_ninety_percent() -> None:
    found, shape = study(
        SCENARIOS["additive"],
        MODELS,
        datasets=DATASETS,
        journeys=1_500,
        large=100_000,
        spec=BootstrapSpec(level=0.9, resamples=100),
    )
    # Per model 30 data sets x 6 channels = 180 intervals: a binomial standard error of
    # sqrt(0.9 x 0.1 / 180) = 0.022 if they were independent (a data set's channels are not
    # quite: they share its draws). The band is 0.9 -0.10 / +0.08 (about 4.5 and 3.5 standard
    # errors): it fails for intervals that are a third too narrow (coverage near 0.75) or far
    # too wide (near 1), and the large sample's own error (100,000 journeys, 1.5 % of a data
    # set's variance per unit) is negligible.
    assert [m.model for m in found] == list(MODELS)
    for model in found:
        assert model.trials == DATASETS * CHANNELS
        assert 0.80 <= model.coverage <= 0.98, (model.model, model.coverage)
    pooled = sum(m.hits for m in found) / sum(m.trials for m in found)
    assert abs(pooled - 0.9) <= 4 * math.sqrt(0.09 / (DATASETS * CHANNELS))
    # The shape the guidance compares: every journey touched, mostly several touches.
    assert shape["channels"] == CHANNELS and 2 < shape["touches_per_journey"] < 4
    # Shapley recovers additive effects: the best half-L1 of the four.
    best = min(found, key=lambda m: sum(m.half_l1))
    assert best.model == "shapley"
