"""`attribution report`: the report of a period, through the pipeline (Pipeline.report)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from attribution.reporting.period import Period

from attribution import clock
from attribution.cli.common import out, parse_days, parse_names, settings_of
from attribution.errors import AttributionError


def _period(week: str | None, first: datetime | None, last: datetime | None) -> Period:
    from attribution.reporting.period import Period

    if week and (first or last):
        raise AttributionError("give either --week or --from and --to, not both")
    if week:
        return Period.week(week)
    if first or last:
        if not (first and last):
            raise AttributionError("--from and --to go together: give both days")
        return Period.days(first.date(), last.date())
    return Period.last_complete_week(clock.today())


@click.command("report")
@click.option("--week", help="ISO week, e.g. 2026-W47; default: the last complete week.")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First day of the period.")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last day (included).")
@click.option("--models", "model_names", help="Comma-separated models; default: reports.models.")
@click.option("--primary", help="Model of the headline and trend; default: reports.primary_model.")
@click.option("--lookback", help="e.g. 30d; default: reports.lookback_days.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Reports folder; default: reports.output_dir.",
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Build it even if the period has no leads and no conversions (a banner says so).",
)
@click.pass_context
def report_command(
    ctx: click.Context,
    week: str | None,
    first: datetime | None,
    last: datetime | None,
    model_names: str | None,
    primary: str | None,
    lookback: str | None,
    out_dir: Path | None,
    allow_empty: bool,
) -> None:
    """Build the channel performance report of a week (or any period): HTML with charts,
    CSV files, and the index of every report. A period with no leads and no conversions is
    refused (exit code 4) unless --allow-empty.

    \b
    Example:
      attribution report --week 2026-W47
      attribution report --from 2026-11-01 --to 2026-11-30 --models linear,markov --out /tmp/r
    """
    from attribution.service.pipeline import Pipeline

    settings = settings_of(ctx)
    period = _period(week, first, last)
    folder = out_dir or settings.resolve(settings.reports.output_dir)
    with Pipeline.open(settings) as pipe:
        spec = pipe.report_spec(
            period,
            models=parse_names(model_names, "--models") if model_names else None,
            primary=primary,
            lookback_days=parse_days(lookback, "--lookback") if lookback else None,
        )
        built = pipe.report(
            spec,
            folder,
            progress=lambda text: out.print(f"[dim]{text}[/dim]"),
            allow_empty=allow_empty,
        )
    out.print(f"report {spec.period.label} (run {built.run_id}): {built.index}", highlight=False)
    for name, path in built.files.items():
        out.print(f"  {name}: {path}", highlight=False)
    out.print(f"all reports: {folder / 'index.html'}", highlight=False)
