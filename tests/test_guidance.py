"""The model guidance of the report's method note: the closest benchmark scenarios to a shape,
the models that did best there, and nothing claimed when no scenario is close."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from attribution.engine.runs import RunSpec
from attribution.reporting import guidance
from attribution.reporting.period import Period
from attribution.service.pipeline import Pipeline
from attribution.simulation import files
from attribution.simulation.coverage import shape
from attribution.simulation.scenarios import SCENARIOS
from attribution.simulation.scores import EVALUATED
from attribution.simulation.world import simulate, to_paths

from .html_doc import parse


def scenario(name: str, touches: float, rate: float, scores: dict[str, float]) -> dict[str, Any]:
    return {
        "name": name,
        "summary": f"the {name} story",
        "shape": {
            "touches_per_journey": touches,
            "multi_touch_share": 0.8,
            "conversion_rate": rate,
            "channels": 6.0,
        },
        "models": {m: {"half_l1": v} for m, v in scores.items()},
    }


GUIDANCE = {
    "scenarios": [
        scenario("short", 1.2, 0.10, {"last_touch": 0.05, "shapley": 0.10, "markov": 0.30}),
        scenario("long", 3.0, 0.10, {"last_touch": 0.30, "shapley": 0.06, "markov": 0.20}),
        scenario("longer", 3.3, 0.12, {"last_touch": 0.40, "shapley": 0.10, "markov": 0.10}),
    ]
}


def test_the_closest_scenarios_and_their_best_models() -> None:
    # A shape like "long": its neighbours by distance are long (0) and longer; the mean
    # half-L1 over those two: shapley 0.08, markov 0.15, last touch 0.35.
    found = guidance.advise(GUIDANCE["scenarios"][1]["shape"], GUIDANCE)
    assert found.scenarios == ("long", "longer")
    assert found.models == ("shapley", "markov", "last_touch")
    assert (
        "Shapley value came nearest the true channel shares, with 8\u00a0% of conversions "
        "credited to the wrong channels, then Markov chain (15\u00a0%); Last touch was "
        "farthest (35\u00a0%)." in found.text
    )
    assert "(long: the long story; longer: the longer story)" in found.text
    assert "not which is right for this data" in found.text


def test_only_the_reports_models_are_named() -> None:
    short = GUIDANCE["scenarios"][0]["shape"]
    found = guidance.advise(short, GUIDANCE, models=["markov", "shapley"])
    assert found.scenarios[0] == "short"
    assert "last_touch" not in found.models and found.models[0] == "shapley"
    alone = guidance.advise(short, GUIDANCE, models=["markov"])
    assert alone.models == ("markov",) and "farthest" not in alone.text


def test_a_shape_unlike_every_scenario_gets_no_advice() -> None:
    far = {
        "touches_per_journey": 14.0,
        "multi_touch_share": 1.0,
        "conversion_rate": 0.001,
        "channels": 40.0,
    }
    found = guidance.advise(far, GUIDANCE)
    assert found.models == () and found.scenarios == ()
    assert "unlike every scenario" in found.text and "does not say" in found.text
    assert guidance.distance(far, far) == 0.0
    assert guidance.distance(far, GUIDANCE["scenarios"][0]["shape"]) > guidance.NEAR


def test_a_stored_runs_shape_is_the_simulations_shape(tmp_path: Path, pipe: Pipeline) -> None:
    sim = simulate(SCENARIOS["branded_search"], 1_200, seed=8)
    written = files.write(sim, tmp_path / "sim")
    for kind in ("leads", "touches", "revenue", "spend"):
        pipe.ingest(kind, written[kind])
    start = datetime.fromisoformat("2026-01-05T00:00:00")
    result = pipe.attribute(
        RunSpec(start=start, end=datetime(2026, 2, 2), models=("first_touch",)), "duckdb"
    )
    found = guidance.shape_of_run(pipe.warehouse, result.run_id)
    assert found is not None
    assert found == pytest.approx(shape(to_paths(sim)), abs=1e-4)
    # The report's method note says it: this data is a benchmark scenario, so one of the two
    # scenarios named is its own (branded search), and the models are among the report's.
    made = pipe.report(pipe.report_spec(Period.week("2026-W04")), tmp_path / "reports")
    note = parse(made.index.read_text(encoding="utf-8")).by_id("model-guidance").text
    assert "branded search: Organic Search (brand queries)" in note
    assert "not which is right for this data" in note
    shipped = guidance.load()
    assert shipped is not None
    advice = guidance.advise(found, shipped, made.manifest["models"])
    assert note == " ".join(advice.text.split())  # the parsed page's white space is plain
    assert "fractribution" not in advice.models


def test_no_guidance_file_no_note(tmp_path: Path) -> None:
    assert guidance.load(tmp_path / "model_guidance.json") is None


def test_the_shipped_guidance_covers_every_scenario_and_model() -> None:
    shipped = guidance.load()
    if shipped is None:
        pytest.fail("reports/model_guidance.json is missing: run benchmarks/coverage.py")
    assert [s["name"] for s in shipped["scenarios"]] == list(SCENARIOS)
    for each in shipped["scenarios"]:
        assert set(each["models"]) == set(EVALUATED)
        assert set(each["shape"]) == {n for n, _, _ in guidance.FEATURES}
