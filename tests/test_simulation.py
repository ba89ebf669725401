"""The simulator: its switch-off truth checked by hand and by an independent formula, its files
reproducible from the seed and mapped to the intended channels, its journeys in memory equal to
those the warehouse builds from its files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from attribution.errors import AttributionError
from attribution.models import run_models
from attribution.simulation import files
from attribution.simulation.scenarios import SCENARIOS, Channel, Scenario, chosen
from attribution.simulation.world import (
    MAX_TOUCHES,
    Draws,
    simulate,
    switch_off_truth,
    to_paths,
    world,
)

# A: lifts 0.3; B: reach 0.2, or 0.9 after A (its touches come later), lifts 0.2; E: lifts 0.3
# only after another channel's touch; S: a touch caused by the conversion, lifting nothing.
TINY = Scenario(
    "tiny",
    "by hand",
    (
        Channel("Paid Search", 0.5, 0.3, repeats=0, days=(0.0, 1.0)),
        Channel("Display", 0.2, 0.2, repeats=0, days=(2.0, 3.0), raised_by="Paid Search",
                raise_to=0.9),
        Channel("Email", 0.5, 0.3, repeats=0, days=(0.0, 4.0), needs_visit=True),
        Channel("Organic Search", 0.0, before_conversion=(1.0, 0.0)),
    ),
    base=0.1,
)  # fmt: skip


def tiny_draws() -> Draws:
    times = np.full((4, 4, MAX_TOUCHES), 0.5)
    times[1, 2, 0] = 0.25  # person 1's Email at day 1.0, before their Display at day 2.5
    return Draws(
        reach=np.array(
            [
                [0.4, 0.5, 0.9, 0.0],  # A; B raised by A (0.5 < 0.9, but not < 0.2); no E
                [0.7, 0.1, 0.3, 0.0],  # B on its own; E before any other touch: no effect
                [0.2, 0.95, 0.1, 0.0],  # A at day 0.5, E at day 2.0: E works, thanks to A
                [0.9, 0.9, 0.2, 0.0],  # E alone: no effect; converts at the base rate
            ]
        ),
        extra=np.zeros((4, 4), dtype=np.int64),
        times=times,
        convert=np.array([0.55, 0.2, 0.65, 0.05]),
        value=np.array([100.0, 200.0, 300.0, 400.0]),
        start=np.zeros(4),
        delay=np.full(4, 0.5),
        late=np.full(4, 0.1),
    )


def test_the_switch_off_truth_of_a_tiny_scenario_worked_by_hand() -> None:
    # p(convert): person 0: 0.1 + A 0.3 + B 0.2 = 0.6 > 0.55; without A, B's reach is 0.2 < 0.5:
    # 0.1; without B 0.4 < 0.55. Person 1: 0.1 + B 0.2 > 0.2; without B 0.1. Person 2: 0.1 +
    # A 0.3 + E 0.3 > 0.65; without A, E has no earlier visit: 0.1; without E 0.4. Person 3: 0.1.
    d = tiny_draws()
    on = world(TINY, d)
    assert on.converted.tolist() == [True, True, True, True]
    truth = switch_off_truth(TINY, d, on)
    assert truth.channels == ("Paid Search", "Display", "Email", "Organic Search")
    assert truth.conversions.tolist() == [2.0, 2.0, 1.0, 0.0]
    assert truth.value.tolist() == [400.0, 300.0, 300.0, 0.0]
    assert truth.shares(truth.conversions).tolist() == [0.4, 0.4, 0.2, 0.0]
    # The caused touch falls after every other touch, just before the conversion.
    s = on.times[:, 3, 0]
    assert np.all(s == on.converted_at - 0.1)
    assert np.all(s > np.where(np.isfinite(on.times[:, :3]), on.times[:, :3], -1).max(axis=(1, 2)))
    # Switching a channel off removes its touches and the touches it raised.
    off_a = world(TINY, d, off=0)
    assert np.isinf(off_a.times[:, 0]).all()
    assert np.isinf(off_a.times[0, 1]).all() and np.isfinite(on.times[0, 1, 0])


def test_additive_truth_equals_the_independent_formula() -> None:
    # With additive effects and common random numbers, switching c off loses exactly the
    # converting people it touched whose draw lies in [p - lift_c, p).
    scenario = SCENARIOS["additive"]
    sim = simulate(scenario, 20_000, seed=3)
    d = sim.draws
    present = np.asarray(np.isfinite(sim.world.times).any(axis=2), dtype=bool)
    lifts = np.array([c.lift for c in scenario.channels])
    p = scenario.base + present @ lifts
    lost = [
        int((present[:, i] & (d.convert < p) & (d.convert >= p - lifts[i])).sum())
        for i in range(len(lifts))
    ]
    assert sim.truth.conversions.tolist() == lost
    assert sim.truth.total_conversions == float((d.convert < p).sum())
    # And each channel's truth is near its expected reach x lift (binomial error, 5 sd).
    expected = present.mean(axis=0) * lifts * 20_000
    assert np.all(np.abs(sim.truth.conversions - expected) < 5 * np.sqrt(expected) + 1)


@pytest.mark.parametrize("name", ["awareness", "branded_search", "placebo", "interaction"])
def test_each_scenario_tells_its_story(name: str) -> None:
    sim = simulate(SCENARIOS[name], 20_000, seed=1)
    truth = dict(zip(sim.truth.channels, sim.truth.conversions.tolist(), strict=True))
    if name == "awareness":  # Display converts no one itself, yet loses conversions when off
        assert truth["Display"] > 0.15 * sum(truth.values())
    if name == "branded_search":
        assert truth["Organic Search"] == 0
        paths = to_paths(sim)
        last = paths.codes[paths.offsets[1:] - 1][paths.conversions > 0]
        share = np.mean(last == paths.channels.index("Organic Search"))
        assert share > 0.75  # it sits right before most conversions
    if name == "placebo":
        assert truth["Affiliates"] == 0
    if name == "interaction":  # email alone (no earlier visit) lifts nothing
        assert truth["Email"] > 0
    assert len(sim.world.converted) == 20_000 and sim.world.touched.all()


def test_the_same_seed_writes_the_same_files(tmp_path: Path) -> None:
    scenario = SCENARIOS["interaction"]
    one = files.write(simulate(scenario, 800, seed=5), tmp_path / "one")
    two = files.write(simulate(scenario, 800, seed=5), tmp_path / "two")
    other = files.write(simulate(scenario, 800, seed=6), tmp_path / "other")
    assert set(one) == {"leads", "touches", "revenue", "spend", "truth", "manifest"}
    for kind in one:
        assert one[kind].read_bytes() == two[kind].read_bytes(), kind
    assert one["touches"].read_bytes() != other["touches"].read_bytes()
    back = files.read(tmp_path / "one")
    assert back.manifest["journeys"] == 800 and back.truth.channels[0] == "Email"


def test_the_in_memory_journeys_are_the_files_journeys() -> None:
    sim = simulate(SCENARIOS["rare_strong"], 3_000, seed=2)
    tables = files.tables(sim)
    paths = to_paths(sim)
    assert tables["leads"].num_rows == paths.n_paths == 3_000
    assert tables["leads"].num_rows + tables["touches"].num_rows == len(paths.codes)
    assert tables["revenue"].num_rows == int(paths.conversions.sum())
    assert float(np.sum(tables["revenue"]["amount"])) == pytest.approx(paths.value.sum())


def test_unknown_scenarios_and_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AttributionError, match="valid: additive"):
        chosen("nope")
    assert [s.name for s in chosen("all")] == list(SCENARIOS)
    with pytest.raises(AttributionError, match="written by `attribution simulate`"):
        files.read(tmp_path)


def test_models_run_on_the_simulated_paths() -> None:
    paths = to_paths(simulate(SCENARIOS["additive"], 2_000, seed=0))
    for credit in run_models(paths, ["first_touch", "time_decay", "markov", "shapley"]):
        assert credit.conversions.sum() == pytest.approx(paths.conversions.sum())
