"""Report benchmark: the weekly report over a warehouse of N seeded journeys (about 3 touches
each, 10 channels, spend per channel and day), built in a fresh process as `attribution report`
builds it: the run over the report's window (the week, the previous week and the trend weeks),
the figures, charts and CSV files. Prints the time of each stage and peak memory.

    python benchmarks/report.py --journeys 100000
    python benchmarks/report.py --journeys 1000000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
# This folder holds attribution.py: keep it off the path so `import attribution` finds the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]

from attribution.config import load_settings  # noqa: E402
from attribution.reporting.period import Period  # noqa: E402
from attribution.reporting.report import ReportSpec  # noqa: E402
from attribution.service.pipeline import Pipeline  # noqa: E402
from benchmarks.attribution import CHANNELS, END, START, generate, peak_mb  # noqa: E402

WEEK = "2026-W12"  # 2026-03-16 to 03-22: eleven weeks of history before it


def spend_file(folder: Path, seed: int) -> Path:
    """Spend per channel and day over the data's span."""
    rng = np.random.default_rng(seed)
    days = np.arange(np.datetime64(START.date()), np.datetime64(END.date()))
    day = np.repeat(days, len(CHANNELS))
    channel = np.tile(CHANNELS, len(days))
    path = folder / "spend.parquet"
    pq.write_table(
        pa.table(
            {
                "date": day,
                "channel": channel,
                "amount": np.round(rng.uniform(100, 5000, len(day)), 2),
            }
        ),
        path,
    )
    return path


def build_only(db: str, out: str) -> None:
    """In this fresh process: build the report and print its stages and peak memory."""
    env = {"ATTRIBUTION_WAREHOUSE__PATH": db, "ATTRIBUTION_REPORTS__OUTPUT_DIR": out}
    settings = load_settings(environ=env)
    cfg = settings.reports
    spec = ReportSpec(
        period=Period.week(WEEK),
        models=tuple(cfg.models),
        primary=cfg.primary_model,
        lookback_days=cfg.lookback_days,
        trend_weeks=cfg.trend_weeks,
    )
    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    with Pipeline.open(settings) as pipe:
        built = pipe.report(spec, progress=lambda text: marks.append((text, time.perf_counter())))
    total = time.perf_counter() - t0
    ends = [t for _, t in marks[1:]] + [t0 + total]
    for (text, started), ended in zip(marks, ends, strict=True):
        print(f"  {text:58} {ended - started:6.2f} s")
    size = sum(p.stat().st_size for p in built.folder.iterdir())
    print(f"  report {built.manifest['label']}: {size / 1e3:.0f} kB in {built.folder.name}/")
    print(f"  whole report, own process: {total:.2f} s, peak memory {peak_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--journeys", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--build-only", nargs=2, metavar=("DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build_only(*args.build_only)
        return
    with tempfile.TemporaryDirectory(prefix="attribution-report-bench-") as tmp:
        folder = Path(tmp)
        files = generate(folder, args.journeys, args.seed)
        files["spend"] = spend_file(folder, args.seed)
        db = folder / "wh.duckdb"
        settings = load_settings(environ={"ATTRIBUTION_WAREHOUSE__PATH": str(db)})
        t0 = time.perf_counter()
        with Pipeline.open(settings) as pipe:
            for kind in ("leads", "touches", "revenue", "spend"):
                pipe.ingest(kind, files[kind])
        print(f"{args.journeys:,} journeys loaded in {time.perf_counter() - t0:.1f} s")
        print(f"report for {WEEK} (a fresh process):")
        subprocess.run(
            [sys.executable, __file__, "--build-only", str(db), str(folder / "reports")],
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )


if __name__ == "__main__":
    main()
