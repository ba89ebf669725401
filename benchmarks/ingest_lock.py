"""How long a small ingest holds the warehouse's write lock: the soak's kind of batch (a JSON
array of a few leads with one bad row, as POST /api/v1/ingest/leads receives it), loaded one
after another into a warehouse of 20,000 leads. Registry writes and other ingests wait for
that lock, so its hold time per batch bounds how many batches and writes a server can take.

    python benchmarks/ingest_lock.py
    python benchmarks/ingest_lock.py --batches 200 --rows 8

Prints, per batch, the median and p90 of the whole ingest and of the time the write lock was
held, and the machine's load average. The lock is timed from outside the ingest code (a
wrapper around the process's write lock), so the figure compares any two versions of it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
# This folder holds attribution.py: keep it off the path so `import attribution` finds the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]


class TimedLock:
    """A re-entrant lock that records how long each outermost hold lasted."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._since = 0.0
        self.holds: list[float] = []

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            self._depth += 1
            if self._depth == 1:
                self._since = time.perf_counter()
        return got

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.holds.append(time.perf_counter() - self._since)
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--rows", type=int, default=8, help="good leads per batch (plus one bad)")
    parser.add_argument("--leads", type=int, default=20_000, help="leads loaded before")
    args = parser.parse_args()

    from attribution.config import load_settings
    from attribution.ingest.limits import Limits
    from attribution.service.pipeline import Pipeline

    with tempfile.TemporaryDirectory(prefix="attribution-lock-") as tmp:
        folder = Path(tmp)
        env = {"ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb")}
        with Pipeline.open(load_settings(environ=env)) as pipe:
            pipe.warehouse.con.execute(
                "COPY (SELECT 'L' || range AS lead_id, TIMESTAMP '2026-01-01' + INTERVAL (range)"
                " MINUTE AS created_at FROM range($leads)) TO $path (HEADER)",
                {"leads": args.leads, "path": str(folder / "leads.csv")},
            )
            pipe.ingest("leads", folder / "leads.csv")
            lock = TimedLock()
            pipe.warehouse.write_lock = lock  # type: ignore[assignment]  # cursors share it
            load_before = os.getloadavg()[0]
            totals: list[float] = []
            for b in range(args.batches):
                records: list[dict[str, str]] = [
                    {"lead_id": f"B{b}-{i}", "created_at": f"2026-03-02T10:{i % 60:02d}:00Z"}
                    for i in range(args.rows)
                ]
                records.insert(args.rows // 2, {"lead_id": f"B{b}-bad", "created_at": "never"})
                path = folder / "records.json"
                path.write_text(json.dumps(records), encoding="utf-8")
                started = time.perf_counter()
                summary = pipe.ingest(
                    "leads",
                    path,
                    file_format="json_array",
                    display_name="records.json",
                    limits=Limits.upload(pipe.settings),
                )
                totals.append(time.perf_counter() - started)
                assert (summary.loaded, summary.rejected) == (args.rows, 1), summary
    holds = lock.holds[-args.batches :]
    print(
        f"{args.batches} batches of {args.rows} leads + 1 bad row, one after another: "
        f"ingest p50 {statistics.median(totals) * 1000:.1f} ms, p90 {percentile(totals, 0.9):.1f}"
        f" ms; write lock held p50 {statistics.median(holds) * 1000:.1f} ms, "
        f"p90 {percentile(holds, 0.9):.1f} ms; load average {load_before:.1f} -> "
        f"{os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
