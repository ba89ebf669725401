"""Attribution benchmark: seeded journeys in a warehouse (about 3 touches each, 10 channels).

Times building the journeys, each model, a whole stored run with all models, the path-file
command on the same journeys aggregated to paths (a fresh process, as a user runs it), and one
plain DuckDB group-by over the touch table as the floor. Prints peak memory. The stored run in
a fresh process also prints its CPU seconds and its time by step (benchmarks/run_steps.py);
--sizes runs only that, at each size (with --repeat N, N times each: the medians), and prints
how it grows against the first.

With --engine spark, also a stored run of every model on a local Spark session (local[2]) in a
fresh process, beside the DuckDB engine's: time by step, peak memory of Python and of Spark's
JVM, and the largest difference between the two runs' per-channel results; with --warm, also a
second Spark run in the same session (the JVM started and warm, as a long-lived service runs).

    python benchmarks/attribution.py --journeys 100000
    python benchmarks/attribution.py --journeys 1000000
    python benchmarks/attribution.py --engine spark --journeys 1000000
    python benchmarks/attribution.py --engine spark --warm --journeys 1000000
    python benchmarks/attribution.py --journeys 1000000 --intervals
    python benchmarks/attribution.py --sizes 1000000,10000000 --memory-limit 4GB
    python benchmarks/attribution.py --sizes 1000000,10000000 --memory-limit 4GB --repeat 3
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
# This folder holds attribution.py: keep it off the path so `import attribution` finds the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]

from attribution.config import Settings, load_settings  # noqa: E402
from attribution.engine import journeys  # noqa: E402
from attribution.engine.runs import RunSpec, run  # noqa: E402
from attribution.models import MODELS, ModelOptions, run_models  # noqa: E402
from attribution.models.bootstrap import BootstrapSpec  # noqa: E402
from attribution.models.paths import Paths  # noqa: E402
from attribution.service.pipeline import Pipeline  # noqa: E402

CHANNELS = np.array(
    [
        "Paid Search",
        "Paid Social",
        "Organic Search",
        "Email",
        "Referral",
        "Direct",
        "Display",
        "Affiliates",
        "Event",
        "Partner",
    ]
)
START, END = datetime(2026, 1, 1), datetime(2026, 4, 1)
T = TypeVar("T")


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it is not inherited from
    the parent across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children_peak_mb() -> float:
    """Peak resident memory of this process's children (Spark's JVM), summed."""
    me, total = str(os.getpid()), 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == me and "VmHWM" in fields:
            total += int(fields["VmHWM"].split()[0]) / 1024
    return total


def children_cpu_s() -> float:
    """CPU seconds (user and system) used so far by this process's children (Spark's JVM)."""
    me, total = str(os.getpid()), 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me:  # after the name: state, ppid, ...; utime and stime are 14, 15
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def time_spark_statements() -> dict[str, float]:
    """Seconds spent in each SparkEngine call, by statement, from now on in this process (a
    statement started beside others, `soon`: its start, and the time the run waited for it)."""
    from attribution.engine import sqlengine

    spent: dict[str, float] = {}

    def add(name: str, since: float) -> None:
        spent[name] = spent.get(name, 0.0) + time.perf_counter() - since

    def timed(method: str) -> None:
        original = getattr(sqlengine.SparkEngine, method)

        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            name = f"{method} {args[1] if method == 'view' else args[0]}"
            try:
                found = original(self, *args, **kwargs)
            finally:
                add(name, t0)
            if method != "soon":
                return found

            def wait() -> Any:  # a statement run beside others: the time the run waited for it
                t1 = time.perf_counter()
                try:
                    return found()
                finally:
                    add(f"wait {args[0]}", t1)

            return wait

        setattr(sqlengine.SparkEngine, method, wrapper)

    for method in ("create", "query", "soon", "view", "register", "read_parquet"):
        timed(method)
    return spent


def spark_run(db: str, warm: bool = False) -> None:
    """A stored run of every model on a local Spark session, in this (fresh) process; warm: a
    second run in the same session after it (as a long-lived service or a cluster runs it)."""
    from attribution.engine import spark, sparkjvm

    spent = time_spark_statements()

    settings = load_settings(
        environ={
            "ATTRIBUTION_WAREHOUSE__PATH": db,
            "ATTRIBUTION_SPARK__EXPORT_DIR": str(Path(db).parent / "lake"),
        }
    )
    with Pipeline.open(settings) as pipe:
        # The JVM's class archive where a user's runs keep it (data/, beside the export folder):
        # the first Spark benchmark writes it at its JVM's exit, later ones share it.
        classes = ROOT / "data"
        shared = sparkjvm.archive_options(classes).startswith("-XX:SharedArchiveFile")
        t0, cpu0 = time.perf_counter(), (time.process_time(), children_cpu_s())
        session = spark.session(settings.spark, "attribution-benchmark", archive_dir=classes)
        started = time.perf_counter() - t0
        print(
            f"  {'Spark session start (local[2])':34} {started:7.2f} s "
            f"(CPU: Python {time.process_time() - cpu0[0]:.1f} s, "
            f"Spark JVM {children_cpu_s() - cpu0[1]:.1f} s); class archive: "
            + ("shared" if shared else "none yet (written at this JVM's exit)")
        )
        first = _spark_stored_run(pipe, settings, session, spent, "fresh JVM")
        print(
            f"  {'fresh process: start and run':34} {started + first:7.2f} s "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
        if warm:
            spent.clear()
            _spark_stored_run(pipe, settings, session, spent, "warm: same session")
        jvm = children_peak_mb()
        session.stop()
    print(f"  peak memory: Python {peak_mb():.0f} MB, Spark JVM {jvm:.0f} MB")


def _spark_stored_run(
    pipe: Pipeline, settings: Settings, session: Any, spent: dict[str, float], label: str
) -> float:
    """One stored run of every model on the session; prints its time by step, its CPU and its
    slowest statements, and returns its seconds."""
    from attribution.engine import spark

    steps: list[tuple[str, float]] = []
    mark = [time.perf_counter()]

    def step(text: str) -> None:
        now = time.perf_counter()
        steps.append((text, now - mark[0]))
        mark[0] = now

    cpu = (time.process_time(), children_cpu_s())
    result = spark.run(
        pipe.warehouse,
        settings,
        RunSpec(start=START, end=END, models=tuple(MODELS)),
        spark=session,
        progress=step,
    )
    step("done")
    cpu = (time.process_time() - cpu[0], children_cpu_s() - cpu[1])
    print(
        f"  {'Spark stored run (' + label + ')':34} {result.seconds:7.2f} s (run {result.run_id}), "
        f"CPU: Python {cpu[0]:.1f} s, Spark JVM {cpu[1]:.1f} s; by step:"
    )
    for (text, _), (_, secs) in itertools.pairwise(steps):
        print(f"    {text[:32]:32} {secs:7.2f} s")
    print("    slowest statements (all calls of each):")
    for name, secs in sorted(spent.items(), key=lambda item: -item[1])[:10]:
        print(f"      {name[:40]:40} {secs:7.2f} s")
    return result.seconds


def compare_runs(db: str) -> None:
    """The largest difference between the last DuckDB run's and the last Spark run's
    per-channel results."""
    import duckdb

    con = duckdb.connect(db, read_only=True)
    row = con.execute(
        "WITH last AS (SELECT engine, max(run_id) AS run_id FROM attribution_runs GROUP BY "
        "engine), d AS (SELECT c.* FROM channel_credits c JOIN last USING (run_id) WHERE "
        "engine = 'duckdb'), s AS (SELECT c.* FROM channel_credits c JOIN last USING (run_id) "
        "WHERE engine = 'spark') SELECT count(*), max(abs(d.conversions - s.conversions)), "
        "max(abs(d.value - s.value)), max(abs(d.value - s.value) / nullif(abs(d.value), 0)) "
        "FROM d JOIN s USING (model, channel)"
    ).fetchone()
    con.close()
    assert row is not None
    print(
        f"  DuckDB vs Spark, {row[0]} (model, channel) results: largest difference "
        f"{row[1]:.3g} conversions, {row[2]:.3g} value (relative {row[3] or 0:.3g})"
    )


def generate(folder: Path, n: int, seed: int) -> dict[str, Path]:
    """n leads (each a journey), 2 touches each (the lead's creation is the third), ~35 % won."""
    rng = np.random.default_rng(seed)
    span = int((END - START).total_seconds())
    ids = np.char.add("L", np.arange(n).astype(str))
    converted = rng.random(n) < 0.35
    won_at = np.datetime64(START, "s") + (
        20 * 86400 + rng.integers(0, span - 20 * 86400, n)
    ).astype("timedelta64[s]")
    created = won_at - rng.integers(3600, 20 * 86400, n).astype("timedelta64[s]")
    weights = np.linspace(2.0, 0.5, len(CHANNELS))
    weights /= weights.sum()
    owner = np.repeat(np.arange(n), 2)
    touch_at = created[owner] - rng.integers(60, 25 * 86400, 2 * n).astype("timedelta64[s]")
    files = {
        "leads": pa.table(
            {
                "lead_id": ids,
                "created_at": created,
                "channel_hint": rng.choice(CHANNELS, n, p=weights),
                "utm_source": np.full(n, "(direct)"),
                "utm_medium": np.full(n, "(none)"),
            }
        ),
        "touches": pa.table(
            {
                "lead_id": ids[owner],
                "occurred_at": touch_at,
                "channel": rng.choice(CHANNELS, 2 * n, p=weights),
            }
        ),
        "revenue": pa.table(
            {
                "event_id": np.char.add("D", ids[converted]),
                "lead_id": ids[converted],
                "occurred_at": won_at[converted],
                "amount": np.round(rng.lognormal(8, 0.5, int(converted.sum())), 2),
            }
        ),
    }
    out = {}
    for kind, table in files.items():
        out[kind] = folder / f"{kind}.parquet"
        pq.write_table(table, out[kind])
    return out


def timed(label: str, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    t0 = time.perf_counter()
    result = func(*args, **kwargs)
    print(f"  {label:34} {time.perf_counter() - t0:7.2f} s")
    return result


def own_process_run(db: str, memory_limit: str, result_file: str | None) -> None:
    """A stored run of every model in this (fresh) process: time by step, CPU, peak memory."""
    from benchmarks.run_steps import StepClock, cpu_seconds

    env = {"ATTRIBUTION_WAREHOUSE__PATH": db}
    if memory_limit:
        env["ATTRIBUTION_WAREHOUSE__MEMORY_LIMIT"] = memory_limit
    settings = load_settings(environ=env)
    with Pipeline.open(settings) as pipe, StepClock().install() as clock:
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        run(pipe.warehouse, RunSpec(start=START, end=END, models=tuple(MODELS)))
        secs, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    peak = peak_mb()
    print(
        f"  {'stored run, all models, own process':34} {secs:7.2f} s (CPU {cpu:.1f} s), "
        f"peak memory {peak:.0f} MB; by step:"
    )
    print("\n".join(clock.report()))
    if result_file:
        Path(result_file).write_text(json.dumps({"seconds": secs, "cpu": cpu, "peak_mb": peak}))


def scaling(sizes: list[int], memory_limit: str, seed: int, repeat: int) -> None:
    """The stored run in its own process at each size (`repeat` times, the median kept), and
    its growth against the first."""
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="attribution-bench-") as tmp:
            folder = Path(tmp)
            files = generate(folder, n, seed)
            db = folder / "wh.duckdb"
            with Pipeline.open(
                load_settings(environ={"ATTRIBUTION_WAREHOUSE__PATH": str(db)})
            ) as p:
                for kind in ("leads", "touches", "revenue"):
                    p.ingest(kind, files[kind])
            runs = []
            for _ in range(repeat):
                print(f"{n:,} journeys (load average {os.getloadavg()[0]:.1f}):")
                out = folder / "result.json"
                args = ["--run-only", str(db), "--memory-limit", memory_limit]
                subprocess.run(
                    [sys.executable, __file__, *args, "--result-file", str(out)],
                    check=True,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                runs.append(json.loads(out.read_text()))
            median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            if repeat > 1:
                print(
                    f"  median of {repeat}: {median['seconds']:.2f} s (CPU {median['cpu']:.1f} s), "
                    f"peak memory {median['peak_mb']:.0f} MB"
                )
            results.append((n, median))
    first_n, first = results[0]
    for n, r in results[1:]:
        print(
            f"  {n / first_n:.0f}x the journeys: {r['seconds'] / first['seconds']:.1f}x the time "
            f"({r['cpu'] / first['cpu']:.1f}x the CPU), {r['peak_mb'] / first['peak_mb']:.1f}x "
            "the peak memory"
        )


def compiled() -> None:
    """Compile the package's modules first, as an install does: with PYTHONDONTWRITEBYTECODE
    set, a module changed since its .pyc was written is compiled again in every timed process
    (about 0.05 s for a dozen modules)."""
    compileall.compile_dir(ROOT / "attribution", quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--journeys", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--run-only", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    parser.add_argument(
        "--sizes",
        metavar="N,M,...",
        help="only the stored run in its own process, at each number of journeys, and the\n"
        "ratio of each time to the first: e.g. 1000000,10000000",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="with --sizes: runs at each size, each in a fresh process; the medians are compared",
    )
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="spark: also a stored run on a local Spark session, compared with DuckDB's",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="with --engine spark: also a second Spark run in the same session (JVM warm)",
    )
    parser.add_argument(
        "--intervals",
        action="store_true",
        help="also a stored run with 90 %% intervals (200 resamples) beside the plain one",
    )
    parser.add_argument(
        "--memory-limit",
        default="",
        help="DuckDB memory limit of the fresh-process run, e.g. 400MB",
    )
    args = parser.parse_args()
    if args.run_only and args.engine == "spark":
        spark_run(args.run_only, args.warm)
        return
    if args.run_only:  # a fresh process: the stored run's own time and peak memory
        own_process_run(args.run_only, args.memory_limit, args.result_file)
        return
    compiled()
    if args.sizes:
        sizes = [int(n) for n in args.sizes.split(",")]
        scaling(sizes, args.memory_limit, args.seed, args.repeat)
        return
    with tempfile.TemporaryDirectory(prefix="attribution-bench-") as tmp:
        folder = Path(tmp)
        files = generate(folder, args.journeys, args.seed)
        env = {"ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb")}
        settings = load_settings(environ=env)
        with Pipeline.open(settings) as pipe:
            t0 = time.perf_counter()
            for kind in ("leads", "touches", "revenue"):
                pipe.ingest(kind, files[kind])
            print(f"{args.journeys:,} journeys loaded in {time.perf_counter() - t0:.1f} s")
            wh = pipe.warehouse
            floor_sql = (
                "SELECT count(*), sum(n) FROM (SELECT lead_id, count(*) AS n, max(occurred_at) "
                "FROM touches GROUP BY lead_id)"
            )
            t0 = time.perf_counter()
            wh.con.execute(floor_sql).fetchall()
            floor_s = time.perf_counter() - t0
            print(f"  {'floor: DuckDB group-by over touches':34} {floor_s:7.2f} s")
            with wh.cursor() as cur:
                built = timed(
                    "journeys (mapping, windows, order)",
                    journeys.build,
                    cur,
                    start=START,
                    end=END,
                    lookback_days=30,
                )
            paths = built.paths
            print(
                f"  {built.converting:,} converting, {built.non_converting:,} non-converting, "
                f"{len(paths.codes):,} touches"
            )
            for name in MODELS:
                timed(f"model {name}", run_models, paths, [name], ModelOptions())
            result = timed(
                "stored run, all models",
                run,
                wh,
                RunSpec(start=START, end=END, models=tuple(MODELS)),
            )
            print(
                f"  ratio of the stored run to the DuckDB floor: {result.seconds / floor_s:.1f}x "
                f"(floor {floor_s:.2f} s)"
            )
            if args.intervals:
                spec = RunSpec(START, END, models=tuple(MODELS), intervals=BootstrapSpec())
                ranged = timed("stored run, all models, intervals", run, wh, spec)
                extra = ranged.seconds - result.seconds
                own = wh.con.execute(
                    "SELECT sum(seconds) FROM run_intervals WHERE run_id = ?", [ranged.run_id]
                ).fetchall()[0][0]
                print(
                    f"  intervals add {extra:.2f} s: {extra / result.seconds:.2f}x a plain run "
                    f"(the bootstrap itself: {own:.2f} s)"
                )
            path_file = folder / "paths.csv"
            _write_path_file(paths, path_file)
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--run-only",
                str(folder / "wh.duckdb"),
                "--memory-limit",
                args.memory_limit,
            ],
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        if args.engine == "spark":
            spark_args = ["--run-only", str(folder / "wh.duckdb"), "--engine", "spark"]
            spark_args += ["--warm"] if args.warm else []
            subprocess.run(
                [sys.executable, __file__, *spark_args],
                check=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            compare_runs(str(folder / "wh.duckdb"))
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "attribution",
                "attribute",
                "--paths",
                str(path_file),
                "--models",
                "first_touch,last_touch,linear,markov",
                "--out",
                str(folder / "results.csv"),
            ],
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
        )
        print(
            f"  path-file command (first, last, linear, markov), whole process: "
            f"{time.perf_counter() - t0:.2f} s"
        )
    peak = peak_mb()
    print(f"peak memory of the benchmark process: {peak:.0f} MB")


def _write_path_file(paths: Paths, out: Path) -> None:
    """The journeys aggregated to ChannelAttribution's path format, through DuckDB."""
    import duckdb

    names = np.array(paths.channels)[paths.codes]
    table = pa.table(
        {
            "journey": paths.path_of_touch,
            "pos": paths.position,
            "channel": names,
            "conv": np.repeat(paths.conversions, paths.lengths),
            "value": np.repeat(paths.value, paths.lengths),
        }
    )
    con = duckdb.connect()
    con.register("run_paths", table)
    con.execute(
        "COPY (SELECT path, sum(conv) AS total_conversions, sum(value) AS total_conversion_value,"
        " sum(1 - conv) AS total_null FROM (SELECT journey, string_agg(channel, ' > ' ORDER BY pos)"
        " AS path, any_value(conv) AS conv, any_value(value) AS value FROM run_paths"
        " GROUP BY journey) GROUP BY path) TO $p (HEADER)",
        {"p": str(out)},
    )
    con.close()


if __name__ == "__main__":
    main()
