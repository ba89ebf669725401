"""Where a stored run's time goes, for the attribution benchmark: seconds per step of
runs.run, measured by wrapping the engine's functions in this process only (the benchmark's
own instrument; nothing of the package changes).

Steps: the journeys' SQL (channel mapping, conversions, windows and ordering), the fetch into
numpy, each model, the drill-down tables, and the writer thread's statements (which overlap the
models). Also the process's CPU seconds, which a busy machine does not inflate as it does the
wall time."""

from __future__ import annotations

import resource
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from attribution.engine import journeys, runs
from attribution.models import spread
from attribution.warehouse.connection import Warehouse

# Statement name -> step, for the journeys' statements (the rest are the writer's).
_JOURNEY_STEPS = {
    "journeys/mapping_keys": "journeys: channel mapping",
    "journeys/key_channels": "journeys: channel mapping",
    "journeys/run_channels": "journeys: channel mapping",
    "journeys/run_touches": "journeys: channel mapping",
    "journeys/run_conversions": "journeys: conversions, ranked",
    "journeys/converting_steps": "journeys: windows and ordering",
    "journeys/null_steps": "journeys: windows and ordering",
}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class StepClock:
    """Seconds per step while installed (see install())."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def add(self, step: str, seconds: float) -> None:
        with self._lock:
            self.seconds[step] += seconds

    def _timed(self, step: Callable[..., str], func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.add(step(*args, **kwargs), time.perf_counter() - t0)

        return wrapper

    @contextmanager
    def install(self) -> Iterator[StepClock]:
        """Wrap the engine's functions for the duration of the block."""

        def statement_step(wh: Warehouse, name: str, *_: Any, **__: Any) -> str:
            if name in _JOURNEY_STEPS:
                return _JOURNEY_STEPS[name]
            if name.startswith("runs/"):
                return f"writer: {name.removeprefix('runs/')}"
            return "journeys: other statements"

        def model_step(_: Any, name: str, *__: Any, **___: Any) -> str:
            return f"model {name}"

        targets: list[tuple[object, str, Callable[..., str]]] = [
            (Warehouse, "execute", statement_step),
            (journeys, "build", lambda *a, **k: "journeys (total)"),
            (spread.ByPath, "__init__", lambda *a: "distinct paths"),
            (spread.ByPath, "credit", model_step),
            (runs.DrillDown, "__init__", lambda *a: "drill-down: keys"),
            (runs.DrillDown, "credit_tables", lambda *a: "drill-down: tables"),
        ]
        saved = [getattr(owner, name) for owner, name, _ in targets]
        for (owner, name, step), func in zip(targets, saved, strict=True):
            setattr(owner, name, self._timed(step, func))
        try:
            yield self
        finally:
            for (owner, name, _), func in zip(targets, saved, strict=True):
                setattr(owner, name, func)

    def report(self) -> list[str]:
        """Lines: each step's seconds; the fetch into numpy is the journeys' total less their
        statements."""
        steps = dict(self.seconds)
        total = steps.pop("journeys (total)", 0.0)
        sql = sum(s for k, s in steps.items() if k.startswith("journeys:"))
        steps["journeys: fetch into numpy, offsets"] = max(total - sql, 0.0)
        models = {k: s for k, s in steps.items() if k.startswith("model ")}
        for k in models:
            steps.pop(k)
        steps["models (all, one at a time)"] = sum(models.values())
        writes = {k: s for k, s in steps.items() if k.startswith("writer: ")}
        lines = [f"    {k:40} {s:7.2f} s" for k, s in sorted(steps.items()) if k not in writes]
        lines.append(
            f"    {'writer thread (overlaps the models)':40} {sum(writes.values()):7.2f} s"
        )
        lines += [
            f"      {k:38} {s:7.2f} s" for k, s in sorted(writes.items(), key=lambda t: -t[1])
        ]
        return lines
