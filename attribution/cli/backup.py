"""`attribution backup` and `attribution restore`: adapters over warehouse.backup."""

from __future__ import annotations

import json
from pathlib import Path

import click

from attribution.cli.common import command_line, err, out, settings_of, shown_path
from attribution.errors import WarehouseLockedError

API_HINT = (
    "  - To back up while `attribution serve` runs, ask the service to do it: "
    "POST /api/v1/backups with a token that has `post`, e.g.\n"
    "      curl -X POST -H 'authtoken: TOKEN' -H 'Content-Type: application/json' "
    """-d '{"dir": "nightly"}' http://127.0.0.1:8000/api/v1/backups\n"""
    "    It writes under backups/ beside the warehouse file."
)


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the backup's summary as JSON.")
@click.pass_context
def backup_command(ctx: click.Context, folder: Path, as_json: bool) -> None:
    """Back up the whole warehouse into a new folder inside FOLDER (created if missing), named
    after the warehouse and the UTC time, e.g. FOLDER/attribution-20261128T093000Z/: Parquet
    files, the schema, and manifest.json with row counts and SHA-256 checksums.

    The warehouse is opened read-only and not upgraded, so a backup taken before an upgrade holds
    the old schema. While `attribution serve` runs, use POST /api/v1/backups instead.

    \b
    Example:
      attribution backup /var/backups/attribution
      attribution restore /var/backups/attribution/attribution-20261128T093000Z --to new.duckdb
    """
    from attribution.service.pipeline import Pipeline
    from attribution.warehouse.connection import Warehouse

    settings = settings_of(ctx)
    try:
        wh = Warehouse.open(settings, read_only=True, upgrade=False)
    except WarehouseLockedError as exc:
        raise WarehouseLockedError(f"{exc}\n{API_HINT}", pid=exc.pid) from None
    with Pipeline(settings, wh) as pipe, err.status("backing up the warehouse"):
        made = pipe.backup(folder)
    summary = made.summary()
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    out.print(
        f"backup {made.path}: {len(made.manifest.tables)} tables, {summary['rows']:,} rows, "
        f"{summary['bytes'] / 1e6:.1f} MB, schema {made.manifest.schema_version:04d}, "
        f"{made.seconds:.2f} s",
        highlight=False,
    )
    again = command_line(
        ctx, "restore", shown_path(made.path), "--to", "NEW.duckdb", needs="nothing"
    )
    out.print(f"restore it: {again}", highlight=False, markup=False)


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The new warehouse file; it must not exist.",
)
def restore_command(folder: Path, target: Path) -> None:
    """Restore the backup in FOLDER (made by `attribution backup`) into a new warehouse file.

    Every file is checked against the manifest first (size, SHA-256, row counts, migrations):
    on any difference nothing is written. An existing file is never overwritten.

    \b
    Example:
      attribution restore /var/backups/attribution/attribution-20261128T093000Z --to new.duckdb
      ATTRIBUTION_WAREHOUSE__PATH=new.duckdb attribution batches
    """
    from attribution.warehouse import backup

    with err.status("verifying and restoring the backup"):
        done = backup.restore(folder, target)
    rows = sum(t.rows for t in done.manifest.tables.values())
    out.print(
        f"restored {len(done.manifest.tables)} tables, {rows:,} rows, from {folder} "
        f"(made {done.manifest.created_at:%Y-%m-%d %H:%M:%S} UTC) into {done.path} "
        f"({done.seconds:.2f} s)",
        highlight=False,
    )
    if done.migrations_applied:
        out.print(f"upgraded: {', '.join(done.migrations_applied)}", highlight=False)
    for name, next_value in done.sequences_advanced.items():
        out.print(f"sequence {name} moved past its largest id: next {next_value}", highlight=False)
    out.print(
        f"use it: set warehouse.path to {done.path} (or ATTRIBUTION_WAREHOUSE__PATH)",
        highlight=False,
    )
