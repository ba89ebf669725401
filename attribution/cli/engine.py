"""`attribution attribute` and `attribution run`: thin adapters over the attribution engine."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Literal

import click

from attribution import clock
from attribution.cli.common import err, out, parse_days, parse_names, parse_window, settings_of
from attribution.errors import AttributionError
from attribution.models import DEFAULT_MODELS, PATH_FILE_MODELS


def _weights(text: str) -> tuple[float, float, float]:
    try:
        first, middle, last = (float(p) for p in text.split(","))
    except ValueError:
        raise AttributionError(
            f"--position {text!r} is not three numbers like 0.4,0.2,0.4"
        ) from None
    return first, middle, last


@click.command()
@click.option(
    "--paths",
    "paths_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="ChannelAttribution path file: path, total_conversions, "
    "total_conversion_value, total_null.",
)
@click.option("--sep", default=">", show_default=True, help="Separator between channels.")
@click.option(
    "--models",
    "model_names",
    default=",".join(PATH_FILE_MODELS),
    show_default=True,
    help="Comma-separated model names.",
)
@click.option(
    "--order", type=click.IntRange(1, 4), default=1, show_default=True, help="Markov order."
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results CSV: channel,model,conversions,value.",
)
@click.option(
    "--removal-effects",
    "removal_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write Markov removal effects here (with their intervals under --intervals).",
)
@click.option(
    "--intervals",
    "level",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Add bootstrap percentile intervals at this level (e.g. 0.9): columns "
    "conversions_low, conversions_high, value_low, value_high.",
)
@click.option(
    "--resamples",
    type=click.IntRange(2, 100_000),
    default=200,
    show_default=True,
    help="Bootstrap replicates for --intervals.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the resampling (reproducible)."
)
def attribute(
    paths_file: Path,
    sep: str,
    model_names: str,
    order: int,
    out: Path,
    removal_out: Path | None,
    level: float | None,
    resamples: int,
    seed: int,
) -> None:
    """Attribute an aggregated path file with any models; no warehouse needed.

    \b
    Example:
      attribution attribute --paths paths.csv --models first_touch,last_touch,linear,markov \\
          --order 2 --out results.csv --removal-effects removal.csv
    \b
    With 90 % bootstrap intervals on every credit (journeys resampled 200 times):
      attribution attribute --paths paths.csv --models linear,markov --intervals 0.9 \\
          --resamples 200 --seed 7 --out results.csv
    """
    from attribution.engine.pathfile import read_path_file, write_removal_effects, write_results
    from attribution.models import ModelOptions, check_names, run_models

    names = check_names(
        [n.strip() for n in model_names.split(",") if n.strip()], valid=PATH_FILE_MODELS
    )
    if removal_out is not None and "markov" not in names:
        names.append("markov")
    paths = read_path_file(paths_file, sep)
    options = ModelOptions(order=order)
    credits = run_models(paths, names, options)
    bounds = None
    if level is not None:
        from attribution.models.bootstrap import BootstrapSpec, replicates

        spec = BootstrapSpec(level=level, resamples=resamples, seed=seed)
        bounds = replicates(paths, names, options, spec)
    for target in (out, removal_out):
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
    write_results(credits, out, bounds, level)
    if removal_out is not None:
        chain = next(c for c in credits if c.removal_conversions is not None)
        found = None if bounds is None else bounds[chain.model]
        write_removal_effects(chain, removal_out, found, level)
    total = float(paths.conversions.sum())
    out_msg = f"{paths.n_paths:,} paths, {paths.n_channels} channels, {total:,.4g} conversions"
    click.echo(f"{out_msg}; {len(credits)} models written to {out}")


@click.command("run")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The window ends at this date's start (UTC); default: today.",
)
@click.option(
    "--window",
    default="4w",
    show_default=True,
    help="Conversions to attribute: 7d, 4w (ending at --as-of) or FROM..TO.",
)
@click.option(
    "--lookback",
    default="30d",
    show_default=True,
    help="How far before each conversion touches count.",
)
@click.option(
    "--models",
    "model_names",
    default=",".join(DEFAULT_MODELS),
    show_default=True,
    help="Comma-separated model names.",
)
@click.option(
    "--transform",
    "transform_specs",
    multiple=True,
    help="Path transform, e.g. exposure or remove_if_not_all(Direct); repeatable.",
)
@click.option(
    "--order", type=click.IntRange(1, 4), default=1, show_default=True, help="Markov order."
)
@click.option(
    "--half-life",
    "half_life",
    type=float,
    default=7.0,
    show_default=True,
    help="time_decay half-life in days.",
)
@click.option(
    "--kinds",
    default="won",
    show_default=True,
    help="Revenue kinds that count as conversions, comma-separated.",
)
@click.option(
    "--direct",
    default="Direct",
    show_default=True,
    help="Channels last_non_direct passes over, comma-separated.",
)
@click.option(
    "--position",
    default="0.4,0.2,0.4",
    show_default=True,
    help="position_based weights first,middle,last (summing to 1).",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    help="Where to compute: duckdb (in memory) or spark (the same SQL on Spark, see "
    "spark.* settings); default: the `engine` setting.",
)
@click.option(
    "--intervals",
    "level",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Store bootstrap intervals at this level, e.g. 0.9; default: the reports.intervals "
    "and reports.interval_level settings.",
)
@click.option("--no-intervals", is_flag=True, help="Store no intervals (a quicker run).")
@click.option(
    "--resamples",
    type=click.IntRange(20, 10000),
    help="Bootstrap replicates of the intervals; default: reports.resamples (200).",
)
@click.option(
    "--seed",
    type=click.IntRange(0),
    help="Seed of the intervals' resampling; default: reports.interval_seed (0).",
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Run and store it even if the window has no leads and no conversions.",
)
@click.pass_context
def run_command(
    ctx: click.Context,
    as_of: datetime | None,
    window: str,
    lookback: str,
    model_names: str,
    transform_specs: tuple[str, ...],
    order: int,
    half_life: float,
    kinds: str,
    direct: str,
    position: str,
    engine: Literal["duckdb", "spark"] | None,
    level: float | None,
    no_intervals: bool,
    resamples: int | None,
    seed: int | None,
    allow_empty: bool,
) -> None:
    """Attribute the warehouse's conversions with every model and store the run. A window with
    no leads and no conversions is refused (exit code 4) unless --allow-empty.

    \b
    Example:
      attribution run --as-of 2026-11-23 --window 4w --lookback 30d
      attribution run --window 2026-10-01..2026-10-31 --models markov,shapley --order 2
      attribution run --engine spark --window 4w
      attribution run --window 4w --intervals 0.9 --resamples 200 --seed 7
    """
    from attribution.cli.tables import Column, print_table
    from attribution.engine.runs import RunResult, RunSpec
    from attribution.models import ModelOptions, check_names
    from attribution.reporting.render import model_label
    from attribution.service.pipeline import Pipeline

    day = as_of or clock.utc_now()
    start, end = parse_window(window, datetime(day.year, day.month, day.day))
    names = check_names([n.strip() for n in model_names.split(",") if n.strip()])
    if no_intervals and level is not None:
        raise AttributionError("--intervals and --no-intervals contradict: give one of them")
    cfg = settings_of(ctx).reports
    bootstrap = None
    if not no_intervals:  # the report module (plotly) only when intervals are asked for
        from attribution.reporting.report import interval_spec

        bootstrap = interval_spec(cfg, level)
    if bootstrap is not None:
        bootstrap = replace(
            bootstrap,
            resamples=cfg.resamples if resamples is None else resamples,
            seed=cfg.interval_seed if seed is None else seed,
        )
    spec = RunSpec(
        start=start,
        end=end,
        lookback_days=parse_days(lookback, "--lookback"),
        models=tuple(names),
        transforms=transform_specs,
        kinds=parse_names(kinds, "--kinds"),
        options=ModelOptions(
            order=order,
            half_life_days=half_life,
            direct=parse_names(direct, "--direct"),
            position=_weights(position),
        ),
        intervals=bootstrap,
    )
    with Pipeline.open(settings_of(ctx)) as pipe:
        chosen = engine or pipe.settings.engine
        result = pipe.attribute(
            spec, chosen, progress=lambda text: err.print(text + " ..."), allow_empty=allow_empty
        )
    j = result.journeys if isinstance(result, RunResult) else result.found
    summary = (
        f"run {result.run_id} ({chosen}): conversions {start:%Y-%m-%d} to {end:%Y-%m-%d} (end "
        f"excluded), lookback {spec.lookback_days:g} days; {j.converting:,} converting "
        f"journeys, {j.non_converting:,} non-converting, {j.conversions_without_touches:,} "
        f"conversions with no touch in their window; {result.seconds:.2f} s"
    )
    out.print(textwrap.fill(summary, width=max(40, out.width)), highlight=False)
    columns = [Column("channel", wrap=True)]
    columns += [Column(model_label(c.model), numeric=True) for c in result.credits]
    channels = result.credits[0].channels if result.credits else ()
    rows = [
        [channel, *[f"{c.conversions[i]:,.1f}" for c in result.credits]]
        for i, channel in sorted(enumerate(channels), key=lambda t: t[1])
    ]
    print_table(columns, rows, title="Conversions by model")
    if bootstrap is not None:
        note = (
            f"intervals stored with run {result.run_id}: {bootstrap.level * 100:g} % ranges of "
            f"every model's credit ({bootstrap.resamples} resamples, seed {bootstrap.seed})"
        )
        out.print(textwrap.fill(note, width=max(40, out.width)), highlight=False)
