"""What the commands share: the consoles, the settings of the invocation, option parsing and
progress bars. Nothing here imports more than click until it is used."""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import click

from attribution.errors import AttributionError

if TYPE_CHECKING:
    from rich.console import Console

    from attribution.config import Settings
    from attribution.ingest.loader import Progress

log = logging.getLogger(__name__)


class _LazyConsole:
    """A rich Console made on first use (rich costs a tenth of a second to import)."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, soft_wrap=True)
        return getattr(self._console, name)


out = cast("Console", _LazyConsole(stderr=False))
err = cast("Console", _LazyConsole(stderr=True))


def settings_of(ctx: click.Context) -> Settings:
    """The settings of this invocation: --config / ATTRIBUTION_CONFIG, ./config.yaml, or the
    built-in defaults, with ATTRIBUTION_* overrides; loaded once."""
    from attribution.config import load_settings

    obj: dict[str, Any] = ctx.find_root().ensure_object(dict)
    if "settings" not in obj:
        settings = load_settings(obj.get("config"))
        log.debug("config: %s", settings.source)
        obj["settings"] = settings
    loaded: Settings = obj["settings"]
    return loaded


def command_line(
    ctx: click.Context,
    *args: str,
    warehouse: Path | None = None,
    needs: Literal["warehouse", "config", "nothing"] = "warehouse",
    reports: Path | None = None,
) -> str:
    """`attribution ARGS` as the user can paste it here: the command's own path when
    `attribution` on PATH is not this one; unless it `needs` nothing, `--config` when the config
    file is not ./config.yaml; if it needs the warehouse, ATTRIBUTION_WAREHOUSE__PATH when the
    warehouse (this one, or `warehouse`) is not the config file's; with `reports`,
    ATTRIBUTION_REPORTS__OUTPUT_DIR when that folder is not the settings' reports.output_dir."""
    if needs == "nothing":
        return shlex.join([*_program(), *args])
    settings = settings_of(ctx)
    line = shlex.join([*_program(), *_config_option(settings.source), *args])
    # A relative value starts at the config file's folder: shown relative only when that
    # folder is this one.
    here = settings.base_dir.resolve() == Path.cwd().resolve()
    if reports is not None and reports != settings.resolve(settings.reports.output_dir):
        value = shown_path(reports) if here else str(reports)
        line = f"ATTRIBUTION_REPORTS__OUTPUT_DIR={shlex.quote(value)} {line}"
    target = warehouse or settings.resolve(settings.warehouse.path)
    if needs == "warehouse" and target != _config_warehouse(settings):
        value = shown_path(target) if here else str(target)
        line = f"ATTRIBUTION_WAREHOUSE__PATH={shlex.quote(value)} {line}"
    return line


def shown_path(path: Path) -> str:
    """A path as typed in the current folder: relative when under it, else absolute."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(absolute)


def _program() -> list[str]:
    """How to run this command again: `attribution` when that name on PATH is this script,
    else the script's path, or `PYTHON -m attribution` when run that way."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    if script.stem == "attribution" and script.is_file():
        found = shutil.which("attribution")
        if found and os.path.samefile(found, script):
            return ["attribution"]
        shown = shown_path(script)
        return [shown if os.sep in shown else f".{os.sep}{shown}"]
    if script.name == "__main__.py" and script.parent.name == "attribution":
        python = Path(sys.executable)
        found = shutil.which(python.name)
        # Not samefile: a virtual environment's python links to the system's.
        on_path = found is not None and Path(found).absolute() == python.absolute()
        return [python.name if on_path else shown_path(python), "-m", "attribution"]
    return ["attribution"]  # run some other way (a test runner): the installed name


def _config_option(source: str) -> list[str]:
    """--config FILE unless the settings come from ./config.yaml or the built-in defaults."""
    from attribution.config import LOCAL_CONFIG

    if source.startswith("built-in") or Path(source) == Path.cwd().resolve() / LOCAL_CONFIG:
        return []
    return ["--config", shown_path(Path(source))]


def _config_warehouse(settings: Settings) -> Path | None:
    """The warehouse the config file names, without ATTRIBUTION_WAREHOUSE* variables."""
    from attribution.config import load_settings

    environ = {k: v for k, v in os.environ.items() if not k.startswith("ATTRIBUTION_WAREHOUSE")}
    if len(environ) < len(os.environ):
        source = settings.source
        try:
            settings = load_settings(None if source.startswith("built-in") else source, environ)
        except AttributionError:
            return None
    return settings.resolve(settings.warehouse.path)


_SPAN = re.compile(r"^(\d+)([dw])$")


def parse_days(text: str, what: str) -> float:
    """Days from 30d or 4w."""
    match = _SPAN.match(text.strip())
    if not match:
        raise AttributionError(f"{what} {text!r} is not like 30d or 4w")
    return int(match[1]) * (7 if match[2] == "w" else 1)


def parse_names(text: str, what: str) -> tuple[str, ...]:
    """Names from a comma-separated list; at least one."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise AttributionError(f"{what} needs at least one name")
    return names


def parse_window(text: str, as_of: datetime) -> tuple[datetime, datetime]:
    """[start, end) from 7d / 4w (ending at as_of) or FROM..TO (dates, TO included)."""
    if ".." in text:
        first, _, last = text.partition("..")
        try:
            start = datetime.strptime(first.strip(), "%Y-%m-%d")
            end = datetime.strptime(last.strip(), "%Y-%m-%d") + timedelta(days=1)
        except ValueError:
            raise AttributionError(f"--window {text!r} is not FROM..TO as YYYY-MM-DD") from None
        if end <= start:
            raise AttributionError(f"--window {text!r} ends before it starts")
        return start, end
    return as_of - timedelta(days=parse_days(text, "--window")), as_of


@contextmanager
def progress_bars(enabled: bool) -> Iterator[Callable[[str, Path], Progress | None]]:
    """A factory of per-file progress callbacks drawing rich bars (none when disabled)."""
    if not enabled:
        yield lambda kind, path: None
        return
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bars

    bars = Bars(
        TextColumn("{task.description:<30}"),
        BarColumn(),
        TextColumn("{task.fields[stage]:<13}"),
        TimeElapsedColumn(),
        console=err,
    )
    with bars:

        def factory(kind: str, path: Path) -> Progress:
            task = bars.add_task(f"{kind} {path.name}", total=1, stage="waiting")

            def tick(stage: str, step: int, steps: int) -> None:
                bars.update(task, completed=step, total=steps, stage=stage)

            return tick

        yield factory
