"""`attribution prune`: an adapter over service.retention."""

from __future__ import annotations

import json

import click

from attribution.cli.common import out, shown_path
from attribution.errors import WarehouseLockedError

SERVE_HINT = (
    "  - While `attribution serve` runs, prune with a job: add `prune` to its steps (after "
    "`report`), and run it on its schedule or now with POST /api/v1/jobs/NAME/run."
)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


@click.command("prune")
@click.option("--dry-run", is_flag=True, help="Only print what would go; change nothing.")
@click.option(
    "--compact",
    is_flag=True,
    help="Then rewrite the warehouse file without its free space (it shrinks).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the account as JSON.")
@click.pass_context
def prune_command(ctx: click.Context, dry_run: bool, compact: bool, as_json: bool) -> None:
    """Prune what the retention settings do not keep: the per-conversion rows (drill-down) of
    runs older than the newest retention.full_runs, built report folders past
    retention.report_folders, backups past api.backups_keep, and job history older than
    retention.job_history_days. Pruned runs keep their per-channel, per-source and per-day
    credit and the figures of their reports' periods; the latest report's run stays whole.

    DuckDB reuses the space of deleted rows, so the file stops growing but seldom shrinks;
    --compact then rewrites it as a fresh copy (checked table by table, swapped in at once).

    \b
    Example:
      attribution prune --dry-run
      attribution prune --compact
    """
    from attribution.cli.common import settings_of
    from attribution.cli.tables import Column, print_table
    from attribution.service.pipeline import Pipeline
    from attribution.service.retention import compact as compact_file

    try:
        pipe = Pipeline.open(settings_of(ctx))
    except WarehouseLockedError as exc:
        raise WarehouseLockedError(f"{exc}\n{SERVE_HINT}", pid=exc.pid) from None
    with pipe:
        done = pipe.prune(dry_run=dry_run)
    sizes = compact_file(settings_of(ctx)) if compact and not dry_run else None
    if as_json:
        summary = done.summary()
        if sizes:
            summary["compacted_bytes"] = sizes[1]
        click.echo(json.dumps(summary, indent=2))
        return
    if done.runs:
        print_table(
            [
                Column("run", numeric=True),
                Column("stored (UTC)"),
                Column("window (UTC)", wrap=True),
                Column("per-conversion rows", numeric=True),
            ],
            [
                [
                    str(r.run_id),
                    f"{r.created_at:%Y-%m-%d %H:%M}",
                    f"{r.window_start:%Y-%m-%d} to {r.window_end:%Y-%m-%d}",
                    f"{r.row_count:,}",
                ]
                for r in done.runs
            ],
            title="Runs to prune (dry run)" if dry_run else "Runs pruned",
        )
    pruned, removed = ("would be pruned", "would be removed") if dry_run else ("pruned", "removed")
    kept = "" if dry_run else f"; figures of {done.periods_kept} report periods kept"
    out.print(
        f"runs: {len(done.runs)} {pruned}, {done.rows:,} per-conversion rows{kept}",
        highlight=False,
    )
    if done.folders:
        print_table(
            [Column("folder", wrap=True), Column("kind"), Column("size", numeric=True)],
            [[shown_path(f.path), f.kind, _mb(f.bytes)] for f in done.folders],
        )
    size = sum(f.bytes for f in done.folders)
    out.print(f"folders: {len(done.folders)} {removed}, {_mb(size)}", highlight=False)
    out.print(f"job history: {done.job_runs} runs {removed}", highlight=False)
    file = (
        _mb(done.file_bytes_before)
        if dry_run
        else f"{_mb(done.file_bytes_before)} before, {_mb(done.file_bytes_after)} after"
    )
    out.print(
        f"warehouse file: {file} ({_mb(done.free_bytes)} free inside, reused by later writes)",
        highlight=False,
    )
    if sizes:
        out.print(
            f"compacted: the warehouse file is {_mb(sizes[1])} (was {_mb(sizes[0])})",
            highlight=False,
        )
    elif compact:
        out.print("compact: not in a dry run", highlight=False)
