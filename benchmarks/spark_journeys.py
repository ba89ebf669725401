"""The Spark run's journeys statement (journey_steps) in parts, on a local Spark session.

Seeded journeys as the attribution benchmark's (benchmarks/attribution.py), exported to Parquet
as a Spark run does; then, in one session, the channel mapping and conversions as a run does
them, and three parts of journeys/journey_touches.sql timed as a whole each, wall and Spark JVM
CPU (the CPU, which load inflates less, is the figure to compare):

  joined   the touches meeting the leads' journeys (scans, channel mapping, one shuffle, the
           hash join): the statement up to its windows;
  windows  the whole statement: the numbering, lengths, paths, sources and time_decay shares;
  kept     the run's journey_steps: the statement computed and kept (localCheckpoint).

joined and windows are written to Spark's no-op sink: every row and column computed, nothing
kept. Each repetition plans the statement again: a second action on the same DataFrame reuses
the shuffle files of the first and times only what follows the shuffle (far less).

    python benchmarks/spark_journeys.py --journeys 1000000
    python benchmarks/spark_journeys.py --journeys 100000 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
# This folder holds attribution.py: keep it off the path so `import attribution` finds the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]

from attribution.config import load_settings  # noqa: E402
from attribution.engine import portable, spark  # noqa: E402
from attribution.engine.runs import RunSpec  # noqa: E402
from attribution.engine.sqlengine import DuckDBEngine, SparkEngine  # noqa: E402
from attribution.service.pipeline import Pipeline  # noqa: E402
from benchmarks.attribution import END, START, children_cpu_s, generate  # noqa: E402


def prepare(engine: SparkEngine, mapper: DuckDBEngine, spec: RunSpec) -> dict[str, object]:
    """The views and tables journey_touches.sql reads, as sqlrun.journeys makes them; returns
    the statement's parameters."""
    lookback = timedelta(days=spec.lookback_days)
    engine.register("run_kinds", pa.table({"kind": pa.array(list(spec.kinds), pa.string())}))
    since: dict[str, object] = {"since": spec.start - lookback, "until": spec.end}
    since["leads_since"] = None
    engine.view("run_touch_rows", "channels/touch_rows", since)
    mapper.register("run_mapping_keys", engine.query("journeys/mapping_keys"))
    key_channels = mapper.query("journeys/key_channels")
    mapper.register("run_key_channels", key_channels)
    engine.register("run_key_channels", key_channels)
    engine.register("run_channels", mapper.query("journeys/run_channels"))
    engine.create("channels/map_touches", keep=False)
    conversions = {"start": spec.start, "end": spec.end, "lookback": lookback}
    engine.create("journeys/conversions", conversions)
    return {
        "end": spec.end,
        "window_from": spec.end - lookback,
        "half_life_days": 7.0,
    }


def parts(window: dict[str, object]) -> dict[str, str]:
    """Spark SQL of each part: the statement up to its windows, and whole."""
    _, _, whole = portable.parts("journeys/journey_touches", "spark", window)
    cut = whole.index(", numbered AS (")  # the CTE that holds the windows
    joined = whole[:cut] + " SELECT * FROM placed"  # noqa: S608 (the statement's own text)
    return {"joined": joined, "windows": whole}


def measure(work: Callable[[], Any]) -> tuple[float, float]:
    """Wall and Spark JVM CPU seconds of one call."""
    t0, cpu0 = time.perf_counter(), children_cpu_s()
    work()
    return time.perf_counter() - t0, children_cpu_s() - cpu0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--journeys", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions of each part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="attribution-bench-") as tmp:
        folder = Path(tmp)
        files = generate(folder, args.journeys, args.seed)
        settings = load_settings(
            environ={
                "ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb"),
                "ATTRIBUTION_SPARK__EXPORT_DIR": str(folder / "lake"),
            }
        )
        with Pipeline.open(settings) as pipe, pipe.warehouse.cursor() as cur:
            for kind in ("leads", "touches", "revenue"):
                pipe.ingest(kind, files[kind])
            lake = spark.export_lake(cur, folder / "lake")
            session = spark.session(settings.spark, "journeys-benchmark", ROOT / "data")
            engine, mapper = SparkEngine(session), DuckDBEngine(cur)
            try:
                spark.load_inputs(engine, cur, spark.lake_paths(str(lake)))
                window = prepare(engine, mapper, RunSpec(start=START, end=END))
                _, _, kept = portable.parts("models/journey_steps", "spark")
                sqls = parts(window)
                engine.create("journeys/journey_touches", window)

                def noop(sql: str) -> Callable[[], Any]:
                    return lambda: session.sql(sql).write.format("noop").mode("overwrite").save()

                runs = {name: noop(sql) for name, sql in sqls.items()}
                runs["kept"] = lambda: session.sql(kept).localCheckpoint(eager=True).unpersist()
                for work in runs.values():
                    measure(work)  # its code compiled, as in a warm session
                timed: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
                for _ in range(args.repeat):  # alternating, so that load falls on every part
                    for name, work in runs.items():
                        timed[name].append(measure(work))
            finally:
                engine.close()
                mapper.close()
                session.stop()
    print(
        f"{args.journeys:,} journeys, local[2], {args.repeat} repetitions after one untimed "
        f"(load average {os.getloadavg()[0]:.1f}); medians:"
    )
    for name, pairs in timed.items():
        wall = statistics.median(w for w, _ in pairs)
        cpu = statistics.median(c for _, c in pairs)
        print(f"  {name:8} {wall:7.2f} s wall, Spark JVM CPU {cpu:6.2f} s")


if __name__ == "__main__":
    main()
