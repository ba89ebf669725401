"""The ground-truth benchmark: a simulated folder ingested into a temporary warehouse through
the real ingest, a run of every model, bootstrap intervals on the run's journeys, and each
model's scores against the switch-off truth (docs/models.md)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from attribution.config import Settings
from attribution.engine.runs import RunResult, RunSpec
from attribution.errors import AttributionError
from attribution.models import ModelOptions, check_names
from attribution.models.bootstrap import BootstrapSpec
from attribution.service.pipeline import Pipeline
from attribution.simulation import files
from attribution.simulation.scenarios import SCENARIOS, chosen
from attribution.simulation.scores import EVALUATED, Score, score_models
from attribution.simulation.world import simulate

Say = Callable[[str], None]


@dataclass(frozen=True)
class Evaluation:
    """One simulated data set's scores, a row per model."""

    scenario: str
    journeys: int
    conversions: int  # converting journeys of the run
    scores: list[Score]


def _temporary(settings: Settings, folder: Path) -> Settings:
    """The settings with the warehouse in `folder`."""
    warehouse = settings.warehouse.model_copy(update={"path": folder / "evaluate.duckdb"})
    return settings.model_copy(update={"warehouse": warehouse})


def evaluate_folder(
    folder: Path,
    settings: Settings,
    *,
    models: Sequence[str] = EVALUATED,
    spec: BootstrapSpec | None = None,
    progress: Say | None = None,
) -> Evaluation:
    """Ingest a simulated folder into a temporary warehouse, run the models on it, and score
    them (with coverage when `spec` asks for intervals)."""
    say = progress or (lambda _: None)
    written = files.read(folder)
    names = tuple(check_names(models))
    manifest = written.manifest
    if not manifest["conversions"]:
        raise AttributionError(
            f"{folder} holds no conversion, so there is nothing to score: simulate more "
            "journeys (--journeys)"
        )
    run_spec = RunSpec(
        start=datetime.fromisoformat(manifest["start"]),
        end=datetime.fromisoformat(manifest["end"]),
        lookback_days=float(manifest["lookback_days"]),
        models=names,
    )
    with (
        tempfile.TemporaryDirectory(prefix="attribution-evaluate-") as tmp,
        Pipeline.open(_temporary(settings, Path(tmp))) as pipe,
    ):
        for kind, path in written.inputs.items():
            say(f"{manifest['scenario']}: ingesting {path.name}")
            summary = pipe.ingest(kind, path)
            if summary.rejected:
                raise AttributionError(
                    f"{path} had {summary.rejected} rejected rows; simulate the folder again"
                )
        say(f"{manifest['scenario']}: running {len(names)} models")
        result = pipe.attribute(run_spec, "duckdb")
    if not isinstance(result, RunResult):  # the in-memory engine keeps its journeys
        raise AttributionError("evaluate runs on the duckdb engine only")
    paths = result.journeys.paths
    if spec is not None:
        say(f"{manifest['scenario']}: {spec.resamples} bootstrap resamples")
    scores = score_models(result.credits, written.truth, paths, spec, ModelOptions())
    return Evaluation(
        str(manifest["scenario"]), int(manifest["journeys"]), result.journeys.converting, scores
    )


def simulated_folders(folder: Path) -> list[Path]:
    """The folder, if `simulate` wrote it; else its subfolders that `simulate --scenario all`
    wrote, in scenario order (an error from files.read when there are none)."""
    if (folder / files.MANIFEST).is_file():
        return [folder]
    order = {name: i for i, name in enumerate(SCENARIOS)}
    found = [p for p in folder.iterdir() if (p / files.MANIFEST).is_file()]
    if not found:
        files.read(folder)  # raises: no simulation.json
    return sorted(found, key=lambda p: (order.get(p.name, len(order)), p.name))


def evaluate_scenarios(
    scenario: str,
    journeys: int,
    seed: int,
    settings: Settings,
    *,
    models: Sequence[str] = EVALUATED,
    spec: BootstrapSpec | None = None,
    progress: Say | None = None,
) -> list[Evaluation]:
    """Simulate each named scenario (or all) into a temporary folder and evaluate it."""
    found = []
    for each in chosen(scenario):
        with tempfile.TemporaryDirectory(prefix="attribution-simulate-") as tmp:
            files.write(simulate(each, journeys, seed, progress), Path(tmp))
            found.append(
                evaluate_folder(Path(tmp), settings, models=models, spec=spec, progress=progress)
            )
    return found
