"""`attribution init`, `config`, `snapshot` and `sql`: the warehouse and its settings, and the
analysts' snapshot (Pipeline.publish_snapshot) queried in the sandbox."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from attribution.cli.common import command_line, err, out, settings_of, shown_path
from attribution.cli.tables import FORMATS, cell_text, jsonable
from attribution.errors import QueryError

if TYPE_CHECKING:
    from attribution.warehouse.sandbox import QueryResult, Sandbox

STARTER_HEADER = (
    "# Written by `attribution init`. Relative paths start at this file's folder.\n"
    "# Remove a key to use its default; `attribution config --keys` describes each.\n"
)
QUIT = (".quit", ".exit", "\\q")


@click.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the warehouse, or upgrade it to the latest schema.

    In a folder with no config.yaml (and no --config), it first writes a commented starter
    config.yaml there; the warehouse then goes under that folder's data/.

    \b
    Example:
      attribution init
      attribution --config prod.yaml init
    """
    from attribution.config import LOCAL_CONFIG
    from attribution.resources import DEFAULT_CONFIG
    from attribution.warehouse.connection import Migration, Warehouse

    settings = settings_of(ctx)
    if settings.source.startswith("built-in"):
        starter = Path.cwd() / LOCAL_CONFIG
        starter.write_text(STARTER_HEADER + DEFAULT_CONFIG.read_text(encoding="utf-8"))
        out.print(f"wrote a starter config: {starter}", highlight=False)
        ctx.find_root().ensure_object(dict).pop("settings", None)
        settings = settings_of(ctx)

    def upgrading(mig: Migration) -> None:
        err.print(f"upgrading the warehouse: {mig.version:04d}_{mig.name} ...", highlight=False)

    with Warehouse.open(settings, upgrade=False) as wh:
        wh.migrate(progress=upgrading)
        applied = [m.version for m in wh.applied_list()]
    out.print(
        f"warehouse {settings.resolve(settings.warehouse.path)} is at schema "
        f"{max(applied):04d} ({len(applied)} migrations applied)",
        highlight=False,
    )


@click.command("config")
@click.option("--keys", is_flag=True, help="List every key with its description instead.")
@click.pass_context
def config_command(ctx: click.Context, keys: bool) -> None:
    """Show the configuration in effect and the file it comes from.

    The settings are printed as JSON on standard output; the file they come from (--config,
    ATTRIBUTION_CONFIG, ./config.yaml or the built-in defaults) on standard error.

    \b
    Example:
      attribution config
      ATTRIBUTION_INGEST__TIMEZONE=Europe/Bucharest attribution config
      attribution config --keys
    """
    from attribution.config import iter_keys

    if keys:
        for key, description in iter_keys():
            out.print(f"[bold]{key}[/]: {description}", highlight=False)
        return
    settings = settings_of(ctx)
    err.print(f"config: {settings.source}", highlight=False, markup=False)
    click.echo(json.dumps(settings.model_dump(mode="json"), indent=2))


@click.command("snapshot")
@click.pass_context
def snapshot_command(ctx: click.Context) -> None:
    """Publish the analysts' snapshot: a read-only copy of the warehouse with the analyst views
    (and Parquet files when snapshot.parquet_dir is set), replaced atomically.

    Needs the live warehouse: while `attribution serve` runs, it publishes the snapshot itself.

    \b
    Example:
      attribution snapshot
      ATTRIBUTION_SNAPSHOT__STORAGE_VERSION=v1.5.0 attribution snapshot
    """
    from attribution.service.pipeline import Pipeline

    settings = settings_of(ctx)
    with Pipeline.open(settings) as pipe, err.status("publishing the snapshot"):
        snap = pipe.publish_snapshot()
    out.print(
        f"snapshot {snap.path}: {snap.bytes / 1e6:.1f} MB, {len(snap.tables)} tables, "
        f"{len(snap.views)} views, storage {snap.storage_version}, {snap.seconds:.2f} s",
        highlight=False,
    )
    if snap.parquet_files:
        out.print(
            f"parquet: {len(snap.parquet_files)} files in {snap.parquet_files[0].parent}",
            highlight=False,
        )
    query = command_line(
        ctx, "sql", "--snapshot", shown_path(snap.path), "SELECT ...", needs="config"
    )
    out.print(f"query it: {query}", highlight=False, markup=False)


def _unique(columns: list[str]) -> list[str]:
    """Column names made unique (a, a -> a, a_2) so that JSON objects keep every value."""
    seen: dict[str, int] = {}
    names = []
    for col in columns:
        seen[col] = seen.get(col, 0) + 1
        names.append(col if seen[col] == 1 else f"{col}_{seen[col]}")
    return names


def render(result: QueryResult, fmt: str) -> str:
    """The rows as CSV (full precision) or JSON text."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([cell_text(v) for v in row] for row in result.rows)
        return buffer.getvalue()
    names = _unique(result.columns)
    records = [dict(zip(names, row, strict=True)) for row in result.rows]
    return json.dumps(records, default=jsonable, indent=1)


def print_rows(result: QueryResult) -> None:
    """The rows as a table that fits the terminal: numbers right-aligned and rounded for
    reading (floats to 6 significant digits), NULL shown as NULL."""
    from rich.text import Text

    from attribution.cli.tables import Column, number, numeric, print_table

    kinds = [numeric([row[i] for row in result.rows]) for i in range(len(result.columns))]
    columns = [
        Column(name, numeric=is_number, wrap=not is_number)
        for name, is_number in zip(result.columns, kinds, strict=True)
    ]

    def shown(value: Any) -> str | Text:
        if value is None:
            return Text("NULL", style="dim")
        if isinstance(value, float | Decimal):
            return number(value)
        return cell_text(value)

    rows = [[shown(v) for v in row] for row in result.rows]
    print_table(
        columns,
        rows,
        key=0,
        whole="select fewer columns, or --format csv or json prints them whole",
    )


def show(result: QueryResult, fmt: str) -> None:
    """Print the rows on stdout; the count, time and any cut on stderr."""
    if fmt != "table":
        rendered = render(result, fmt)
        click.echo(rendered, nl=not rendered.endswith("\n"))
    elif result.columns:
        print_rows(result)
    rows = len(result.rows)
    note = f"{rows:,} row{'s' if rows != 1 else ''} in {result.seconds:.2f} s"
    if result.truncated:
        note += f"; output cut at {rows:,} rows: the query returned more (--max-rows)"
    err.print(note, highlight=False, style="yellow" if result.truncated else "dim")


def repl(box: Sandbox, fmt: str, read: Callable[[str], str] = input) -> None:
    """Read statements ending in `;` and run each; `.quit` or end of input exits. A failed
    query prints its error and the loop goes on."""
    from rich.markup import escape

    err.print(
        f"snapshot {box.path} (read-only). End each statement with ;  .quit exits.",
        highlight=False,
    )
    lines: list[str] = []
    while True:
        try:
            line = read("...> " if lines else "sql> ")
        except EOFError:
            break
        except KeyboardInterrupt:
            lines.clear()
            err.print("")
            continue
        if not lines and line.strip().lower() in QUIT:
            break
        lines.append(line)
        if not line.rstrip().endswith(";"):
            continue
        text = "\n".join(lines)
        lines.clear()
        try:
            show(box.query(text), fmt)
        except QueryError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        except KeyboardInterrupt:
            err.print("interrupted", highlight=False)


@click.command("sql")
@click.argument("query", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output: a table, CSV with a header row, or JSON (an array of objects).",
)
@click.option(
    "--snapshot",
    "snapshot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Published snapshot file to query (the live warehouse is refused); "
    "default: snapshot.path.",
)
@click.option(
    "--max-rows", type=click.IntRange(1), help="Rows printed at most; default: sql.max_rows."
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    help="Seconds before the query is stopped; default: sql.timeout_seconds.",
)
@click.pass_context
def sql_command(
    ctx: click.Context,
    query: str | None,
    fmt: str,
    snapshot_path: Path | None,
    max_rows: int | None,
    timeout: float | None,
) -> None:
    """Query the analysts' snapshot with SQL, read-only: never the live warehouse, no files,
    network or extensions. Without QUERY: an interactive prompt on a terminal, else the query
    is read from stdin.

    \b
    Example:
      attribution sql "SELECT * FROM channel_weekly_performance WHERE model = 'markov' LIMIT 20"
      attribution sql --format csv "SELECT * FROM journeys" > journeys.csv
      echo "SELECT count(*) FROM leads" | attribution sql --format json
      attribution sql
    """
    from attribution.warehouse.sandbox import Sandbox

    settings = settings_of(ctx)
    cfg = settings.sql
    path = snapshot_path or settings.resolve(settings.snapshot.path)
    with Sandbox(
        path,
        timeout=timeout or cfg.timeout_seconds,
        max_rows=max_rows or cfg.max_rows,
        memory_mb=cfg.memory_limit_mb,
    ) as box:
        if query is None and sys.stdin.isatty():
            with contextlib.suppress(ImportError):  # line editing and history for input()
                import readline  # noqa: F401
            repl(box, fmt)
            return
        text = query if query is not None else sys.stdin.read()
        show(box.query(text), fmt)
