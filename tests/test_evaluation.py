"""The benchmark's scores on hand-made cases, and `evaluate` end to end: a simulated folder
ingested into a temporary warehouse through the real ingest, every model run and scored."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from attribution.cli.app import main
from attribution.config import Settings
from attribution.models import run_models
from attribution.simulation import files
from attribution.simulation.scenarios import SCENARIOS
from attribution.simulation.scores import EVALUATED, coverage, half_l1, score, score_models, tau_b
from attribution.simulation.world import Truth, simulate, to_paths

TRUTH = Truth(("A", "B", "C", "D"), np.array([6.0, 3.0, 1.0, 0.0]), np.zeros(4), 10.0, 0.0)


def test_scores_of_a_hand_made_case() -> None:
    # Model shares 0.4, 0.4, 0.1, 0.1 against the truth's 0.6, 0.3, 0.1, 0: half of
    # 0.2 + 0.1 + 0 + 0.1. Kendall: 6 pairs, A-B and C-D tied in the model only, the other 4
    # concordant: tau-b = 4 / sqrt((6 - 2) x 6) = 0.8165. Top 3 (ties by name): A, B, C both.
    # Targets: true share x the model's 10 conversions = 6, 3, 1, 0; only A's falls outside.
    model = np.array([4.0, 4.0, 1.0, 1.0])
    s = score(
        "m",
        ("A", "B", "C", "D"),
        model,
        TRUTH,
        (np.array([3.0, 2.0, 0.0, 0.0]), np.array([5.0, 3.0, 2.0, 0.5])),
    )
    assert s.half_l1 == pytest.approx(0.2)
    assert s.tau_b == pytest.approx(4 / math.sqrt(24))
    assert s.top3 is True
    assert s.coverage == 0.75


def test_scores_align_channels_by_name_and_see_a_wrong_top_three() -> None:
    # The model names its channels in another order and lacks B: over A, B, C, D its shares
    # are 0.5, 0, 0.3, 0.2 against 0.6, 0.3, 0.1, 0; its top 3 is {A, C, D}.
    s = score("m", ("D", "C", "A"), np.array([2.0, 3.0, 5.0]), TRUTH)
    assert s.half_l1 == pytest.approx(0.5 * (0.1 + 0.3 + 0.2 + 0.2))
    assert s.top3 is False  # {A, C, D} against {A, B, C}
    assert s.coverage is None
    assert tau_b(np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])) == pytest.approx(-1)
    assert half_l1(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == 1.0
    assert coverage(np.zeros(2), np.ones(2), np.array([0.5, 2.0])) == 0.5


def test_evaluate_ingests_runs_and_scores_a_simulated_folder(
    tmp_path: Path, settings: Settings
) -> None:
    from attribution.service.evaluation import evaluate_folder

    sim = simulate(SCENARIOS["awareness"], 1_500, seed=4)
    files.write(sim, tmp_path / "sim")
    found = evaluate_folder(tmp_path / "sim", settings)
    assert found.scenario == "awareness" and found.journeys == 1_500
    assert found.conversions == int(sim.truth.total_conversions)
    assert [s.model for s in found.scores] == list(EVALUATED)
    # The warehouse's journeys (channels mapped from the UTM values, leads' creation as the
    # first touch) give the models exactly what the in-memory journeys give them.
    expected = score_models(run_models(to_paths(sim), EVALUATED), sim.truth)
    for got, want in zip(found.scores, expected, strict=True):
        assert got.half_l1 == pytest.approx(want.half_l1, abs=1e-9), got.model
        assert got.tau_b == pytest.approx(want.tau_b, abs=1e-9) or math.isnan(want.tau_b)
        assert got.top3 == want.top3
    assert not settings.resolve(settings.warehouse.path).exists()  # nothing left in the real one
    assert all(s.coverage is None for s in found.scores)  # no intervals asked


def test_evaluate_scores_coverage_from_seeded_intervals(tmp_path: Path, settings: Settings) -> None:
    from attribution.models.bootstrap import BootstrapSpec
    from attribution.service.evaluation import evaluate_folder

    files.write(simulate(SCENARIOS["rare_strong"], 1_000, seed=2), tmp_path / "sim")
    spec = BootstrapSpec(level=0.9, resamples=40, seed=3)
    one = evaluate_folder(tmp_path / "sim", settings, models=("linear", "shapley"), spec=spec)
    two = evaluate_folder(tmp_path / "sim", settings, models=("linear", "shapley"), spec=spec)
    assert [s.model for s in one.scores] == ["linear", "shapley"]
    for a, b in zip(one.scores, two.scores, strict=True):
        assert a.coverage is not None and 0 <= a.coverage <= 1
        assert a.coverage == b.coverage  # the same seed, the same intervals
        assert a.coverage * 6 == round(a.coverage * 6)  # a share of the 6 channels


def test_the_commands_simulate_and_evaluate(tmp_path: Path, settings: Settings) -> None:
    runner = CliRunner()
    config = ["--config", str(settings.source)]
    done = runner.invoke(
        main,
        [*config, "simulate", "--scenario", "placebo", "--journeys", "600", "--out",
         str(tmp_path / "p")],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert (tmp_path / "p" / "truth.csv").is_file()
    done = runner.invoke(
        main, [*config, "evaluate", str(tmp_path / "p"), "--resamples", "0", "--format", "json"]
    )
    assert done.exit_code == 0, done.output
    rows = json.loads(done.stdout)
    assert [r["model"] for r in rows] == list(EVALUATED)
    assert all(r["scenario"] == "placebo" and 0 <= r["half_l1"] <= 1 for r in rows)
    done = runner.invoke(main, [*config, "evaluate"])
    assert done.exit_code == 1 and "give a FOLDER" in done.output
    (tmp_path / "empty").mkdir()
    done = runner.invoke(main, [*config, "evaluate", str(tmp_path / "empty")])
    assert done.exit_code == 1 and "has no simulation.json" in done.output


def test_a_simulation_without_conversions_is_refused(tmp_path: Path, settings: Settings) -> None:
    from attribution.errors import AttributionError
    from attribution.service.evaluation import evaluate_folder

    files.write(simulate(SCENARIOS["placebo"], 3, seed=2), tmp_path / "tiny")
    assert files.read(tmp_path / "tiny").manifest["conversions"] == 0
    with pytest.raises(AttributionError, match=r"no conversion.*simulate more journeys"):
        evaluate_folder(tmp_path / "tiny", settings)


def test_evaluate_reads_the_subfolders_of_simulate_all(tmp_path: Path) -> None:
    from attribution.service.evaluation import simulated_folders

    for name in ("placebo", "additive"):
        files.write(simulate(SCENARIOS[name], 200, seed=1), tmp_path / "sim" / name)
    (tmp_path / "sim" / "notes").mkdir()
    found = simulated_folders(tmp_path / "sim")
    assert [p.name for p in found] == ["additive", "placebo"]  # in scenario order
    assert simulated_folders(found[0]) == [found[0]]
