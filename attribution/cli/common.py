"""What the commands share: the consoles, the settings of the invocation, option parsing and
progress bars. Nothing here imports more than click until it is used."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

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
