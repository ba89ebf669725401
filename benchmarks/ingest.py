"""Ingest benchmark: 1,000,000 leads and 3,000,000 touches, from Parquet and from CSV.

Each pass loads into a fresh warehouse, then loads the same files again (nothing new may land).
Prints rows per second, the CPU seconds and the peak memory (resident set) of the process that
ran the pass. With --repeat N each format is passed N times, each in a new process, and the
spread is printed; with --floor, DuckDB's floor for the same Parquet files is measured too.

    python benchmarks/ingest.py                      # the issue's sizes
    python benchmarks/ingest.py --formats parquet --repeat 5 --floor
    python benchmarks/ingest.py --formats parquet --profile     # each statement's time and
                                                                # its busiest thread
    python benchmarks/ingest.py --leads 100000 --formats parquet
    python benchmarks/ingest.py --formats parquet --row-group-rows 122880
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
# This folder holds attribution.py: keep it off the path so `import attribution` finds the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]

CHANNELS = np.array(
    ["Paid Search", "Paid Social", "Organic Search", "Email", "Referral", "Direct", "Display"]
)

# DuckDB's floor: one INSERT per file straight from its Parquet file, with the checks the
# target case's columns need (trimmed text, the time range, the lead known), a key, and an
# anti-join on it against the table. No batch record, no rejected rows kept, no in-file dedupe.
# Its touches are keyed three ways (FLOOR_KEYS).
FLOOR_LEADS = """
INSERT INTO leads
SELECT f.lead_id, f.created_at, f.source_id, f.utm_source, NULL, NULL, f.status, NULL, NULL,
       NULL, false, false, 1, f.row_number, (CAST(1 AS BIGINT) << 32) + f.row_number
FROM (SELECT file_row_number + 1 AS row_number, NULLIF(trim(lead_id), '') AS lead_id,
             CAST(created_at AS TIMESTAMP) AS created_at,
             TRY_CAST(source_id AS INTEGER) AS source_id,
             NULLIF(trim(utm_source), '') AS utm_source, NULLIF(trim(status), '') AS status
      FROM read_parquet($path, file_row_number = true)) AS f
WHERE f.lead_id IS NOT NULL
  AND f.created_at >= TIMESTAMP '1970-01-01' AND f.created_at < TIMESTAMP '2100-01-01'
  AND NOT EXISTS (SELECT 1 FROM leads AS l WHERE l.lead_id = f.lead_id)
"""
FLOOR_TOUCHES = """
INSERT INTO touches
SELECT k.touch_key, NULL, k.lead_id, k.occurred_at, k.channel, NULL, NULL, NULL, NULL, 2,
       k.row_number, k.lead_no
FROM (SELECT f.*, l.lead_no, {key} AS touch_key
      FROM (SELECT file_row_number + 1 AS row_number, NULLIF(trim(lead_id), '') AS lead_id,
                   CAST(occurred_at AS TIMESTAMP) AS occurred_at,
                   NULLIF(trim(channel), '') AS channel
            FROM read_parquet($path, file_row_number = true)) AS f
      JOIN leads AS l ON l.lead_id = f.lead_id  -- the lead known, and its number
      JOIN (SELECT channel, md5_number_lower(concat(channel, '||||')) AS what_hash
            FROM (SELECT DISTINCT NULLIF(trim(channel), '') AS channel
                  FROM read_parquet($path))) AS w ON w.channel = f.channel) AS k
WHERE k.channel IS NOT NULL
  AND k.occurred_at >= TIMESTAMP '1970-01-01' AND k.occurred_at < TIMESTAMP '2100-01-01'
  AND NOT EXISTS (SELECT 1 FROM touches AS t WHERE t.touch_key = k.touch_key)
"""
FLOOR_KEYS = {
    # The project's touch key (sql/ingest/touches_validate.sql): integer operations a row, md5
    # once per distinct channel ...
    "lead key": "(CAST(l.lead_no AS UHUGEINT) << 64) "
    "| xor(CAST(epoch_us(f.occurred_at) AS UBIGINT), w.what_hash)",
    # ... the md5 of text built per row that it replaced (migration 0018) ...
    "md5 key": "md5_number(concat('h|', f.lead_id, '|', CAST(epoch_us(f.occurred_at) AS VARCHAR), "
    "'|', coalesce(f.channel, ''), '|||||'))",
    # ... and the 64-bit hash of the floor measured in the stack notes (not stable across
    # DuckDB versions, so not usable as a stored key).
    "hash() key": "CAST(hash(f.lead_id, f.occurred_at, f.channel) AS UHUGEINT)",
}
# The same checks, key and anti-join into lean tables: only the columns the files have, and
# touches without the lead's text id (only its number). The warehouse's tables hold every column
# of data-formats.md, a batch and row number a row, and each touch's lead_id (ZSTD): this tells
# what storing them costs, apart from the checks.
LEAN_TABLES = """
CREATE TABLE lean_leads (lead_id VARCHAR USING COMPRESSION zstd NOT NULL, created_at TIMESTAMP,
                         source_id INTEGER, utm_source VARCHAR, status VARCHAR, lead_no BIGINT);
CREATE TABLE lean_touches (touch_key UHUGEINT USING COMPRESSION uncompressed NOT NULL,
                           lead_no BIGINT NOT NULL, occurred_at TIMESTAMP, channel VARCHAR);
"""
LEAN_LEADS = (
    FLOOR_LEADS.replace("INSERT INTO leads", "INSERT INTO lean_leads")
    .replace(
        "f.utm_source, NULL, NULL, f.status, NULL, NULL,\n"
        "       NULL, false, false, 1, f.row_number, (CAST(1 AS BIGINT) << 32) + f.row_number",
        "f.utm_source, f.status, f.row_number",
    )
    .replace("FROM leads AS l", "FROM lean_leads AS l")
)
LEAN_TOUCHES = (
    FLOOR_TOUCHES.replace("INSERT INTO touches", "INSERT INTO lean_touches")
    .replace(
        "k.touch_key, NULL, k.lead_id, k.occurred_at, k.channel, NULL, NULL, NULL, NULL, 2,\n"
        "       k.row_number, k.lead_no",
        "k.touch_key, k.lead_no, k.occurred_at, k.channel",
    )
    .replace("JOIN leads AS l", "JOIN lean_leads AS l")
    .replace("FROM touches AS t", "FROM lean_touches AS t")
    .replace("{key}", FLOOR_KEYS["lead key"])
)


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it is not inherited from
    the parent across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds() -> float:
    """CPU time of this process so far, every thread, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each thread of this process so far (Linux /proc; 10 ms resolution)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        out[task.name] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def load_average() -> str:
    """The 1-minute load average: how much else shares the cores."""
    return f"{os.getloadavg()[0]:.1f}"


def generate(
    folder: Path, leads: int, touches: int, seed: int, row_group_rows: int | None = None
) -> dict[str, Path]:
    """Seeded leads and touches as Parquet and CSV files in folder (Parquet row groups of
    row_group_rows rows; default pyarrow's, 1,048,576)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-01-01T00:00:00", "s")
    lead_ids = np.char.add("L", np.arange(leads).astype(str))
    created = start + rng.integers(0, 120 * 86400, leads).astype("timedelta64[s]")
    lead_table = pa.table(
        {
            "lead_id": lead_ids,
            "created_at": created,
            "source_id": rng.integers(1, 3, leads),
            "utm_source": rng.choice(np.array(["google", "facebook", "newsletter"]), leads),
            "status": rng.choice(np.array(["new", "contacted", "customer"]), leads),
        }
    )
    owner = rng.integers(0, leads, touches)
    touch_table = pa.table(
        {
            "lead_id": lead_ids[owner],
            "occurred_at": created[owner]
            - rng.integers(0, 30 * 86400, touches).astype("timedelta64[s]"),
            "channel": rng.choice(CHANNELS, touches),
        }
    )
    out = {}
    for name, table in (("leads", lead_table), ("touches", touch_table)):
        out[f"{name}.parquet"] = folder / f"{name}.parquet"
        pq.write_table(table, out[f"{name}.parquet"], row_group_size=row_group_rows)
        out[f"{name}.csv"] = folder / f"{name}.csv"
        pacsv.write_csv(table, out[f"{name}.csv"])
    return out


def row_groups(files: dict[str, Path]) -> str:
    """How many row groups each Parquet file has: DuckDB reads a file on at most that many
    cores, so a one-group file is validated on one core, whatever the machine has."""
    parts = []
    for name, path in files.items():
        if path.suffix == ".parquet":
            meta = pq.ParquetFile(path).metadata
            largest = max(meta.row_group(i).num_rows for i in range(meta.num_row_groups))
            groups = (
                "1 row group" if meta.num_row_groups == 1 else f"{meta.num_row_groups} row groups"
            )
            parts.append(f"{name}: {groups} of up to {largest:,} rows")
    return "Parquet files: " + "; ".join(parts) + " (DuckDB reads a row group on one core)"


def _profiled(steps: dict[str, list[float]]) -> None:
    """Time every statement the loader runs, by name: wall and process CPU seconds, and the CPU
    seconds of its busiest thread (what more idle cores could not shorten)."""
    from attribution.warehouse.connection import Warehouse

    run = Warehouse.execute_text

    def timed(self: Warehouse, sql: str, params: Any = None, *, name: str = "inline") -> Any:
        t0, c0, th0 = time.perf_counter(), cpu_seconds(), thread_cpu()
        try:
            return run(self, sql, params, name=name)
        finally:
            th1 = thread_cpu()
            step = steps.setdefault(name, [0.0, 0.0, 0.0])
            step[0] += time.perf_counter() - t0
            step[1] += cpu_seconds() - c0
            step[2] += max((v - th0.get(k, 0.0) for k, v in th1.items()), default=0.0)

    Warehouse.execute_text = timed  # type: ignore[method-assign]


def _pass(
    files: list[tuple[str, str]],
    db: str,
    profile: bool,
    queue: mp.Queue,  # type: ignore[type-arg]
) -> None:
    """One pass in its own process, so that peak memory is this pass's alone."""
    from attribution.config import load_settings
    from attribution.ingest.loader import Ingestor
    from attribution.warehouse.connection import Warehouse

    settings = load_settings(environ={"ATTRIBUTION_WAREHOUSE__PATH": db})
    results = []
    steps: dict[str, list[float]] = {}
    if profile:
        _profiled(steps)
    with Warehouse.open(settings) as wh:
        ingestor = Ingestor(wh, settings)
        for repeat in (1, 2):
            for kind, path in files:
                steps.clear()
                t0, c0 = time.perf_counter(), cpu_seconds()
                s = ingestor.ingest_file(kind, Path(path))
                secs, cpu = time.perf_counter() - t0, cpu_seconds() - c0
                results.append(
                    {
                        "load": repeat,
                        "kind": kind,
                        "file": Path(path).name,
                        "rows": s.rows_read,
                        "loaded": s.loaded,
                        "duplicates": s.duplicates,
                        "rejected": s.rejected,
                        "seconds": secs,
                        "cpu_seconds": cpu,
                        "steps": {k: v for k, v in steps.items() if v[1] >= 0.01 or v[0] >= 0.02},
                        "busiest": sum(v[2] for v in steps.values()),
                    }
                )
    peak = peak_mb()
    queue.put({"results": results, "peak_mb": peak})


def _floor(files: dict[str, str], db: str, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    """DuckDB's floor for the Parquet files, per key, in its own process."""
    from attribution.config import load_settings
    from attribution.warehouse.connection import Warehouse

    settings = load_settings(environ={"ATTRIBUTION_WAREHOUSE__PATH": db})
    Warehouse.open(settings).close()  # the schema, as the pass has it
    out: list[dict[str, Any]] = []
    for label, key in FLOOR_KEYS.items():
        copy = f"{db}.{len(out)}"
        shutil.copy(db, copy)
        touches = FLOOR_TOUCHES.replace("{key}", key)
        out.append(
            _floor_load(label, copy, "", (FLOOR_LEADS, files["leads"]), (touches, files["touches"]))
        )
    lean = f"{db}.lean"
    out.append(
        _floor_load(
            "lean",
            lean,
            LEAN_TABLES,
            (LEAN_LEADS, files["leads"]),
            (LEAN_TOUCHES, files["touches"]),
        )
    )
    queue.put(out)


def _floor_load(label: str, db: str, tables: str, *loads: tuple[str, str]) -> dict[str, Any]:
    """Each (statement, file) in its own transaction on the database db (after `tables`): the
    rows inserted, seconds, CPU seconds and the statements' busiest threads."""
    import duckdb

    con = duckdb.connect(db)
    if tables:
        con.execute(tables)
    rows, busiest, t0, c0 = 0, 0.0, time.perf_counter(), cpu_seconds()
    for sql, path in loads:
        con.execute("BEGIN TRANSACTION")
        th0 = thread_cpu()
        rows += int(con.execute(sql, {"path": path}).fetchall()[0][0])
        busiest += max(v - th0.get(k, 0.0) for k, v in thread_cpu().items())
        con.execute("COMMIT")
    secs, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    con.close()
    return {"key": label, "rows": rows, "seconds": secs, "cpu_seconds": cpu, "busiest": busiest}


def _run(target: Any, args: tuple[Any, ...]) -> Any:
    """Run target(*args, queue) in a new (spawned) process and return what it put."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def _spread(values: list[float], fmt: str) -> str:
    """One figure, or min to max with the median, of a list of runs."""
    if len(values) == 1:
        return format(values[0], fmt)
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{format(low, fmt)} to {format(high, fmt)} (median {format(mid, fmt)})"


def _print_pass(fmt: str, out: dict[str, Any], run: int, runs: int) -> None:
    tag = f" [run {run}/{runs}]" if runs > 1 else ""
    for load in (1, 2):
        rows = [r for r in out["results"] if r["load"] == load]
        total = sum(r["rows"] for r in rows)
        secs = sum(r["seconds"] for r in rows)
        cpu = sum(r["cpu_seconds"] for r in rows)
        loaded = sum(r["loaded"] for r in rows)
        label = "first load" if load == 1 else "same files again"
        print(
            f"{fmt:8} {label:17} {total:>10,} rows in {secs:6.2f} s = "
            f"{total / secs / 1e6:5.2f} M rows/s, {cpu:5.2f} CPU s, loaded {loaded:,}{tag}"
        )
        busiest = sum(r["busiest"] for r in rows)
        if busiest:
            print(
                f"{'':8} {'':17} statements' busiest threads: {busiest:.2f} CPU s "
                f"(at best {total / busiest / 1e6:.2f} M rows/s with idle cores)"
            )
        for r in rows:
            print(
                f"         {r['kind']:8} {r['rows']:>10,} rows {r['seconds']:6.2f} s "
                f"({r['rows'] / r['seconds'] / 1e6:.2f} M rows/s, {r['cpu_seconds']:.2f} CPU s) "
                f"loaded {r['loaded']:,}"
            )
            for name, (wall, cpu, busiest) in r["steps"].items():
                print(f"             {wall:6.2f} s {cpu:6.2f} CPU s {busiest:5.2f} busiest  {name}")
    print(f"{fmt:8} peak memory of the pass (resident set): {out['peak_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--touches", type=int, default=None, help="default: 3 x leads")
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=1, help="passes per format (default 1)")
    parser.add_argument(
        "--row-group-rows",
        type=int,
        default=None,
        help="rows per Parquet row group (default pyarrow's, 1,048,576); DuckDB reads a "
        "Parquet file in parallel by row group",
    )
    parser.add_argument(
        "--floor", action="store_true", help="also time DuckDB's floor on the Parquet files"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print each statement's time (wall and CPU)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    touches = args.touches or 3 * args.leads
    print(f"load average at the start: {load_average()} (2 or more: other work shares the cores)")
    with tempfile.TemporaryDirectory(prefix="attribution-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        files = generate(folder, args.leads, touches, args.seed, args.row_group_rows)
        print(
            f"generated {args.leads:,} leads and {touches:,} touches in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        print(row_groups(files))
        summary: list[dict[str, Any]] = []
        for fmt in args.formats.split(","):
            todo = [
                ("leads", str(files[f"leads.{fmt}"])),
                ("touches", str(files[f"touches.{fmt}"])),
            ]
            runs = []
            for run in range(1, args.repeat + 1):
                db = folder / f"{fmt}-{run}.duckdb"
                out = _run(_pass, (todo, str(db), args.profile))
                out["load_average"] = load_average()
                _print_pass(fmt, out, run, args.repeat)
                runs.append(out)
                db.unlink()
            first = [[r for r in o["results"] if r["load"] == 1] for o in runs]
            again = [[r for r in o["results"] if r["load"] == 2] for o in runs]
            rate = [sum(r["rows"] for r in x) / sum(r["seconds"] for r in x) / 1e6 for x in first]
            rate2 = [sum(r["rows"] for r in x) / sum(r["seconds"] for r in x) / 1e6 for x in again]
            cpu = [sum(r["cpu_seconds"] for r in x) for x in first]
            busiest = [sum(r["busiest"] for r in x) for x in first]
            peaks = [o["peak_mb"] for o in runs]
            loads = ", ".join(o["load_average"] for o in runs)
            print(f"{fmt:8} first load:       {_spread(rate, '.2f')} M rows/s")
            print(f"{fmt:8} same files again: {_spread(rate2, '.2f')} M rows/s")
            print(f"{fmt:8} first load CPU:   {_spread(cpu, '.2f')} s")
            if args.profile:
                spread = _spread(busiest, ".2f")
                print(f"{fmt:8} first load busiest: {spread} CPU s (statements' busiest threads)")
            print(f"{fmt:8} peak memory:      {_spread(peaks, '.0f')} MB")
            print(f"{fmt:8} load average after each pass: {loads}")
            summary.append({"format": fmt, "runs": runs})
        if args.floor:
            parquet = {
                "leads": str(files["leads.parquet"]),
                "touches": str(files["touches.parquet"]),
            }
            floors: list[list[dict[str, Any]]] = []
            for _ in range(args.repeat):
                floors.append(_run(_floor, (parquet, str(folder / "floor.duckdb"))))
                for p in folder.glob("floor.duckdb*"):
                    p.unlink()
            for i, key in enumerate([*FLOOR_KEYS, "lean"]):
                rate = [f[i]["rows"] / f[i]["seconds"] / 1e6 for f in floors]
                cpu = [f[i]["cpu_seconds"] for f in floors]
                busiest = [f[i]["busiest"] for f in floors]
                print(
                    f"floor    {key:10} first load: {_spread(rate, '.2f')} M rows/s, "
                    f"CPU {_spread(cpu, '.2f')} s, busiest thread {_spread(busiest, '.2f')} s"
                )
            summary.append({"floor": floors})
        if args.json:
            print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
