"""`attribution ingest`, `batches` and `demo`: adapters over the pipeline's ingest."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from attribution import clock
from attribution.cli.common import out, progress_bars, settings_of
from attribution.ingest.kinds import FORMATS, KINDS

if TYPE_CHECKING:
    from attribution.ingest.loader import BatchSummary


def print_summary(s: BatchSummary) -> None:
    if s.already_loaded_as is not None:
        out.print(
            f"[bold]{s.kind}[/] {s.file}: already loaded as batch {s.already_loaded_as}; "
            f"nothing new ({s.duplicates:,} duplicates, {s.rejected:,} rejected as before)."
        )
        return
    parts = [f"{s.loaded:,} loaded"]
    if s.updated:
        parts.append(f"{s.updated:,} updated")
    parts += [f"{s.duplicates:,} duplicates skipped", f"{s.rejected:,} rejected"]
    if s.sources_created:
        parts.append(f"{s.sources_created:,} new sources (channel Unassigned)")
    out.print(
        f"[bold]{s.kind}[/] {s.file}: batch {s.batch_id}, {s.rows_read:,} rows read: "
        + ", ".join(parts)
        + f" ({s.seconds:.1f} s)",
        highlight=False,
    )
    for reason, count in s.top_reasons:
        out.print(f"    {count:>8,} x {reason}", highlight=False)
    if s.rejected:
        out.print(f"    see them: attribution batches --rejected {s.batch_id}", highlight=False)
    if s.extra_columns:
        out.print(f"    columns not used: {', '.join(s.extra_columns)}", highlight=False)


@click.command()
@click.argument("kind", type=click.Choice(KINDS))
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="File type (auto: by extension); crm = the CRM's own lead export.",
)
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="OLD=NEW",
    help="Read the file's column OLD as NEW; repeat for more.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the batch summaries as JSON.")
@click.pass_context
def ingest(
    ctx: click.Context,
    kind: str,
    files: tuple[Path, ...],
    file_format: str,
    mapping: tuple[str, ...],
    as_json: bool,
) -> None:
    """Load FILES of leads, touches, revenue or spend; each file is one batch, whole or nothing.

    Bad rows are quarantined with their reason; loading the same rows twice adds nothing.

    \b
    Example:
      attribution ingest leads crm_export.csv --format crm
      attribution ingest touches touches.parquet
      attribution ingest revenue deals.jsonl --map deal_id=event_id --map won_on=occurred_at
    """
    from attribution.ingest.kinds import parse_map
    from attribution.service.pipeline import Pipeline

    settings = settings_of(ctx)
    column_map = parse_map(mapping)
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    show = size_mb >= settings.ingest.progress_min_mb and not as_json
    summaries = []
    with Pipeline.open(settings) as pipe, progress_bars(show) as bar:
        for path in files:
            s = pipe.ingest(
                kind, path, file_format=file_format, column_map=column_map, progress=bar(kind, path)
            )
            summaries.append(s)
            if not as_json:
                print_summary(s)
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in summaries], indent=2))


@click.command()
@click.option(
    "--rejected",
    "rejected",
    type=int,
    metavar="BATCH",
    help="Show the rejected rows of this batch instead.",
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.pass_context
def batches(ctx: click.Context, rejected: int | None, limit: int) -> None:
    """List the latest ingest batches, or the rejected rows of one.

    \b
    Example:
      attribution batches
      attribution batches --rejected 3 --limit 100
    """
    from rich.table import Table

    from attribution.service.pipeline import Pipeline

    with Pipeline.open(settings_of(ctx)) as pipe:
        if rejected is not None:
            rows = pipe.rejected_rows(rejected, limit)
            if not rows:
                out.print(f"batch {rejected} has no rejected rows (or no such batch)")
            for r in rows:
                out.print(
                    f"row {r['row_number']}: {r['reason']}\n    {r['raw_row']}",
                    highlight=False,
                    markup=False,
                )
            return
        rows = pipe.batches(limit)
    table = Table(
        "batch",
        "kind",
        "file",
        "read",
        "loaded",
        "updated",
        "duplicates",
        "rejected",
        "finished (UTC)",
    )
    for r in rows:
        table.add_row(
            str(r["batch_id"]),
            r["kind"],
            r["file_name"],
            f"{r['rows_read']:,}",
            f"{r['rows_loaded']:,}",
            f"{r['rows_updated']:,}",
            f"{r['rows_duplicate']:,}",
            f"{r['rows_rejected']:,}",
            str(r["finished_at"])[:19],
        )
    out.print(table)


@click.command()
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date the demo data ends before (default: today, UTC).",
)
@click.pass_context
def demo(ctx: click.Context, as_of: datetime | None) -> None:
    """Generate the demo data set, ingest it into a fresh demo warehouse, build the weekly report.

    \b
    Example:
      attribution demo
      attribution demo --as-of 2026-11-23
    """
    from attribution.service.pipeline import run_demo

    settings = settings_of(ctx)
    day: date = as_of.date() if as_of else clock.today()
    with progress_bars(sys.stderr.isatty()) as bar:
        result = run_demo(settings, as_of=day, progress=bar)
    for s in result.batches:
        print_summary(s)
    out.print(f"\nDemo period: {result.start.date()} to {result.end.date()} (end excluded)")
    out.print(f"Warehouse:   {result.warehouse}", highlight=False)
    out.print(f"Input files: {result.inputs['leads'].parent}", highlight=False)
    built = result.report
    out.print(
        f"Report:      {built.index} (week {built.manifest['label']}, run {built.run_id})",
        highlight=False,
    )
    out.print(f"CSV files:   {', '.join(p.name for p in built.files.values())}", highlight=False)
    out.print(f"All reports: {built.folder.parent / 'index.html'}", highlight=False)
    out.print(
        f"Explore it:  ATTRIBUTION_WAREHOUSE__PATH={result.warehouse} attribution batches",
        highlight=False,
    )
