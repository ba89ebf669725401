"""`attribution simulate` and `attribution evaluate`: the ground-truth benchmark's adapters."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import click

from attribution.cli.common import command_line, err, out, settings_of, shown_path
from attribution.errors import AttributionError

SCENARIO_NAMES = (
    "additive",
    "awareness",
    "branded_search",
    "rare_strong",
    "interaction",
    "placebo",
    "all",
)
SCORE_COLUMNS = ("scenario", "model", "half_l1", "tau_b", "top3", "coverage")


def _say(text: str) -> None:
    err.print(text + " ...", highlight=False, markup=False)


@click.command()
@click.option(
    "--scenario",
    type=click.Choice(SCENARIO_NAMES),
    required=True,
    help="Which scenario (see docs/models.md), or all (a subfolder each).",
)
@click.option(
    "--journeys",
    type=click.IntRange(1, 50_000_000),
    default=20_000,
    show_default=True,
    help="Journeys (people touched at least once) to simulate.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the ingest files, truth.csv and simulation.json.",
)
@click.pass_context
def simulate(ctx: click.Context, scenario: str, journeys: int, seed: int, out_dir: Path) -> None:
    """Simulate journeys whose channel effects are known: leads, touches, revenue and spend
    files in the ingest formats, and truth.csv (each channel's true incremental conversions
    and value: what is lost when it is switched off).

    \b
    Example:
      attribution simulate --scenario awareness --journeys 20000 --seed 1 --out sim/awareness
      attribution simulate --scenario all --journeys 5000 --out sim
    """
    from attribution.simulation import files
    from attribution.simulation.scenarios import chosen
    from attribution.simulation.world import simulate as run_simulation

    many = scenario == "all"
    for each in chosen(scenario):
        folder = out_dir / each.name if many else out_dir
        sim = run_simulation(each, journeys, seed, _say)
        _say(f"{each.name}: writing {folder}")
        files.write(sim, folder)
        won = int(sim.truth.total_conversions)
        out.print(
            f"{each.name}: {journeys:,} journeys, {won:,} conversions; files and truth.csv "
            f"in {folder}",
            highlight=False,
            markup=False,
        )
    hint = command_line(ctx, "evaluate", shown_path(out_dir), needs="config")
    out.print(f"score the models: {hint}", highlight=False, markup=False)


def _cell(value: float | bool | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:.2f}"


@click.command()
@click.argument(
    "folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "--scenario",
    type=click.Choice(SCENARIO_NAMES),
    help="Simulate this scenario (or all) instead of reading FOLDER.",
)
@click.option(
    "--journeys",
    type=click.IntRange(1, 50_000_000),
    default=20_000,
    show_default=True,
    help="With --scenario: journeys to simulate.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the bootstrap, and with --scenario of the simulation.",
)
@click.option(
    "--resamples",
    type=click.IntRange(0, 100_000),
    default=200,
    show_default=True,
    help="Bootstrap resamples for the coverage score (0: no intervals, no coverage).",
)
@click.option(
    "--level",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.9,
    show_default=True,
    help="Interval level.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.pass_context
def evaluate(
    ctx: click.Context,
    folder: Path | None,
    scenario: str | None,
    journeys: int,
    seed: int,
    resamples: int,
    level: float,
    fmt: str,
) -> None:
    """Score every model against a simulation's truth: ingest its files into a temporary
    warehouse (a FOLDER that the simulate command wrote, or each scenario's subfolder of it
    after --scenario all), run the models, and print half the L1 distance of conversion
    shares, Kendall's tau-b of the rankings, whether the top 3 channels agree, and the share
    of channels whose interval holds the true value (see docs/models.md).

    \b
    Example:
      attribution evaluate sim/awareness
      attribution evaluate sim --resamples 100
      attribution evaluate --scenario all --journeys 20000 --seed 1 --format csv
    """
    from attribution.cli.tables import Column, dump, print_table
    from attribution.models.bootstrap import BootstrapSpec
    from attribution.service.evaluation import (
        evaluate_folder,
        evaluate_scenarios,
        simulated_folders,
    )

    if (folder is None) == (scenario is None):
        raise AttributionError(
            "give a FOLDER written by `attribution simulate`, or --scenario NAME (not both)"
        )
    settings = settings_of(ctx)
    spec = BootstrapSpec(level=level, resamples=resamples, seed=seed) if resamples else None
    if folder is not None:
        found = [
            evaluate_folder(each, settings, spec=spec, progress=_say)
            for each in simulated_folders(folder)
        ]
    else:
        found = evaluate_scenarios(
            scenario or "", journeys, seed, settings, spec=spec, progress=_say
        )
    records: list[dict[str, Any]] = [
        {
            "scenario": e.scenario,
            "model": s.model,
            "half_l1": s.half_l1,
            "tau_b": None if math.isnan(s.tau_b) else s.tau_b,
            "top3": s.top3,
            "coverage": s.coverage,
        }
        for e in found
        for s in e.scores
    ]
    if fmt != "table":
        sys.stdout.write(dump(records, fmt, SCORE_COLUMNS))
        return
    columns = [
        Column("scenario"),
        Column("model"),
        Column("half-L1", numeric=True),
        Column("tau-b", numeric=True),
        Column("top 3", numeric=True),
        Column(f"coverage {level:.0%}", numeric=True),
    ]
    rows = [
        [r["scenario"], r["model"], _cell(r["half_l1"]), _cell(r["tau_b"]), _cell(r["top3"]),
         _cell(r["coverage"])]
        for r in records
    ]  # fmt: skip
    sizes = sorted({e.journeys for e in found})
    each = ", ".join(f"{n:,}" for n in sizes)
    title = f"Scores against the switch-off truth ({each} journeys)"
    print_table(columns, rows, key=2, title=title)
    err.print(
        "half-L1: 0 is the true shares; tau-b: 1 is the true ranking; top 3: the same three "
        "channels on top; coverage: channels whose interval holds the true value",
        style="dim",
        highlight=False,
    )
