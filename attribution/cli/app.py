"""The `attribution` command group: every command registered here, loaded only when it runs,
and the one error handler of the command line."""

from __future__ import annotations

import gc
import importlib
import logging
import sys
from pathlib import Path
from typing import Any

import click

from attribution import __version__
from attribution.errors import AttributionError

# name -> (module, attribute, short help). `attribution --help` lists the short help without
# importing any command's module; the command's docstring holds its full help.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("attribution.cli.warehouse", "init", "Create the warehouse or upgrade its schema"),
    "ingest": (
        "attribution.cli.ingest",
        "ingest",
        "Load leads, touches, revenue or spend files",
    ),
    "batches": ("attribution.cli.ingest", "batches", "List ingest batches and rejected rows"),
    "demo": ("attribution.cli.ingest", "demo", "Build a demo warehouse and its weekly report"),
    "config": ("attribution.cli.warehouse", "config_command", "Show the settings and their file"),
    "sources": ("attribution.cli.registry", "sources", "Keep the registry of lead sources"),
    "tokens": ("attribution.cli.tokens", "tokens_group", "Create, list and revoke API tokens"),
    "run": ("attribution.cli.engine", "run_command", "Attribute conversions and store the run"),
    "attribute": ("attribution.cli.engine", "attribute", "Attribute a path file (no warehouse)"),
    "simulate": (
        "attribution.cli.simulation",
        "simulate",
        "Simulate journeys with known channel effects",
    ),
    "evaluate": (
        "attribution.cli.simulation",
        "evaluate",
        "Score every model against a simulation's truth",
    ),
    "report": ("attribution.cli.report", "report_command", "Build the report of a week or period"),
    "jobs": ("attribution.cli.jobs", "jobs_group", "List, run and inspect scheduled jobs"),
    "mail": ("attribution.cli.mail", "mail_command", "Email a built report's dashboard"),
    "serve": ("attribution.cli.jobs", "serve", "Run the HTTP API and the scheduled jobs"),
    "snapshot": ("attribution.cli.warehouse", "snapshot_command", "Publish the analysts' snapshot"),
    "sql": ("attribution.cli.warehouse", "sql_command", "Query the snapshot with SQL, read-only"),
    "backup": ("attribution.cli.backup", "backup_command", "Back up the whole warehouse"),
    "restore": ("attribution.cli.backup", "restore_command", "Restore a backup into a new file"),
    "prune": ("attribution.cli.prune", "prune_command", "Prune old runs' rows, reports, backups"),
}
INTERNAL_ERROR = 70
PYTHON_GC = gc.get_threshold()  # Python's own pace of collection (serve keeps it)
# A command's imports and work make tens of thousands of lasting objects and few cycles:
# collecting every 700 new objects, as Python does, spent about 0.1 CPU s of the 2.3 of a run
# over 1 M journeys and found next to nothing.
COMMAND_GC = (100_000, 50, 100)


def load(name: str) -> click.Command:
    """The command registered as `name`, importing its module now."""
    module, attribute, short = COMMANDS[name]
    command: click.Command = getattr(importlib.import_module(module), attribute)
    command.short_help = short
    return command


class Commands(click.Group):
    """Commands from COMMANDS, imported when used; errors handled once for all of them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, _, short) in COMMANDS.items()])

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        thresholds = gc.get_threshold()
        gc.set_threshold(*COMMAND_GC)
        try:
            return super().invoke(ctx)
        except AttributionError as exc:
            if debug:
                raise
            from rich.markup import escape

            from attribution.cli.common import err

            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            sys.exit(exc.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if debug:
                raise
            from attribution.cli.common import err

            err.print(
                f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
                "Run the same command with --debug for the traceback, and report it.",
                highlight=False,
                markup=False,
            )
            sys.exit(INTERNAL_ERROR)
        finally:
            gc.set_threshold(*thresholds)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="ATTRIBUTION_CONFIG",
    help="Config file. Default: ATTRIBUTION_CONFIG, else ./config.yaml, else built-in defaults.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.version_option(__version__, prog_name="attribution")
@click.pass_context
def main(ctx: click.Context, config: Path | None, debug: bool) -> None:
    """Channel attribution: which channels bring revenue, not just clicks.

    \b
    Example:
      attribution init
      attribution demo
      attribution ingest leads leads.csv
    """
    ctx.ensure_object(dict)["config"] = config
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING)
