"""`attribution ingest`, `batches` and `demo`: adapters over the pipeline's ingest."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from attribution import clock
from attribution.cli.common import command_line, out, progress_bars, settings_of
from attribution.cli.tables import FORMATS as TABLE_FORMATS
from attribution.errors import AllRowsRejectedError
from attribution.ingest.kinds import FORMATS, KINDS

if TYPE_CHECKING:
    from attribution.ingest.loader import BatchSummary


def print_summary(ctx: click.Context, s: BatchSummary, warehouse: Path | None = None) -> None:
    """A batch's counts and top reasons, and the command that lists its rejected rows."""
    from rich.markup import escape

    from attribution.cli.tables import printable

    file = escape(printable(s.file))  # a name from outside: no control characters, no markup
    if s.already_loaded_as is not None:
        out.print(
            f"[bold]{s.kind}[/] {file}: already loaded as batch {s.already_loaded_as}; "
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
        f"[bold]{s.kind}[/] {file}: batch {s.batch_id}, {s.rows_read:,} rows read: "
        + ", ".join(parts)
        + f" ({s.seconds:.1f} s)",
        highlight=False,
    )
    for reason, count in s.top_reasons:
        out.print(f"    {count:>8,} x {printable(reason)}", highlight=False, markup=False)
    if s.rejected:
        see = command_line(ctx, "batches", "--rejected", str(s.batch_id), warehouse=warehouse)
        out.print(f"    see them: {see}", highlight=False, markup=False)
    if s.extra_columns:
        unused = printable(", ".join(s.extra_columns))
        out.print(f"    columns not used: {unused}", highlight=False, markup=False)


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
    Exit code 6 when every row of a file was rejected, 1 when a file is refused whole.

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
                print_summary(ctx, s)
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in summaries], indent=2))
    rejected = [(s.file, s.batch_id) for s in summaries if s.all_rejected and s.batch_id]
    if rejected:  # after the summaries: exit code 6, so that scripts notice
        raise AllRowsRejectedError(rejected, hint="fix the rows (reasons above) and load it again")


BATCH_COLUMNS = (
    "batch_id",
    "kind",
    "file_name",
    "file_format",
    "rows_read",
    "rows_loaded",
    "rows_updated",
    "rows_duplicate",
    "rows_rejected",
    "sources_created",
    "started_at",
    "finished_at",
    "status",
)


@click.command()
@click.option(
    "--rejected",
    "rejected",
    type=int,
    metavar="BATCH",
    help="Show the rejected rows of this batch instead.",
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(TABLE_FORMATS),
    default="table",
    show_default=True,
    help="Output: a table (rejected rows: one block each), CSV with a header row, or JSON.",
)
@click.pass_context
def batches(ctx: click.Context, rejected: int | None, limit: int, fmt: str) -> None:
    """List the latest ingest batches, or the rejected rows of one.

    \b
    Example:
      attribution batches
      attribution batches --rejected 3 --limit 100
      attribution batches --format csv > batches.csv
    """
    from attribution.cli.tables import Column, dump, print_table, printable
    from attribution.service.pipeline import Pipeline

    with Pipeline.open(settings_of(ctx)) as pipe:
        if rejected is not None:
            rows = pipe.rejected_rows(rejected, limit)
            if fmt != "table":
                click.echo(dump(rows, fmt, ["row_number", "reason", "raw_row"]), nl=False)
                return
            if not rows:
                out.print(f"batch {rejected} has no rejected rows (or no such batch)")
            for r in rows:
                out.print(
                    f"row {r['row_number']}: {printable(str(r['reason']))}\n"
                    f"    {printable(str(r['raw_row']))}",
                    highlight=False,
                    markup=False,
                )
            return
        rows = pipe.batches(limit)
    if fmt != "table":
        click.echo(dump(rows, fmt, BATCH_COLUMNS), nl=False)
        return
    if not rows:
        out.print(f"no batches yet: load files with {command_line(ctx, 'ingest', 'KIND', 'FILE')}")
        return
    counts = {
        "read": "rows_read",
        "loaded": "rows_loaded",
        "updated": "rows_updated",
        "duplicates": "rows_duplicate",
        "rejected": "rows_rejected",
    }
    columns = [
        Column("batch", numeric=True),
        Column("kind"),
        Column("file", wrap=True),
        *(Column(header, numeric=True) for header in counts),
        Column("finished (UTC)"),
    ]
    cells = [
        [
            str(r["batch_id"]),
            str(r["kind"]),
            str(r["file_name"]),
            *(f"{r[name]:,}" for name in counts.values()),
            str(r["finished_at"] or "")[:19],
        ]
        for r in rows
    ]
    print_table(columns, cells, whole="--format csv or json prints it whole")


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
        print_summary(ctx, s, result.warehouse)
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
    explore = command_line(ctx, "batches", warehouse=result.warehouse)
    out.print(f"Explore it:  {explore}", highlight=False, markup=False)
    # The admin page links the latest report of reports.output_dir: point it at the demo's.
    serve = command_line(ctx, "serve", warehouse=result.warehouse, reports=built.folder.parent)
    out.print(f"Serve it:    {serve}", highlight=False, markup=False)
    # The demo replaced its warehouse: say what became of the old one's API tokens.
    then = command_line(ctx, "tokens", "create", "NAME", warehouse=result.warehouse)
    if result.tokens_kept:
        said = f"{result.tokens_kept} kept from the demo warehouse this run replaced. List them:"
        then = command_line(ctx, "tokens", "list", warehouse=result.warehouse)
    elif result.tokens_lost:
        said = (
            f"none kept: the old demo warehouse could not be read ({result.tokens_lost}), so it "
            "was replaced, and its API tokens with it. Create one:"
        )
    else:
        said = "none yet. Create one for the API and the admin page:"
    out.print(f"API tokens:  {said}\n             {then}", highlight=False, markup=False)
