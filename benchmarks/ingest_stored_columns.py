"""What each stored column of `touches` costs a first load, in instructions counted by valgrind.

The floor of benchmarks/ingest.py (its checks, the project's touch key, the anti-join) inserts
touches into a lean table (the key, the lead's number, time, channel), then again with each
group of the warehouse's other columns added. Instructions (valgrind's callgrind) are the same
from run to run whatever else the machine runs, where seconds on 2 shared cores are not; the
load of the leads (and Python's start) is measured alone and taken off.

    python benchmarks/ingest_stored_columns.py                   # 100,000 leads, 300,000 touches
    python benchmarks/ingest_stored_columns.py --leads 50000
    python benchmarks/ingest_stored_columns.py --cpu --repeat 5  # CPU seconds instead (no valgrind)
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
_spec = importlib.util.spec_from_file_location("ingest_bench", ROOT / "benchmarks" / "ingest.py")
assert _spec and _spec.loader
bench = importlib.util.module_from_spec(_spec)
sys.modules["ingest_bench"] = bench
_spec.loader.exec_module(bench)

# Column group -> (its columns' declarations as the warehouse has them, the values inserted: what
# a file with the benchmark's columns gives them).
GROUPS: dict[str, tuple[str, str]] = {
    "lean": ("", ""),
    "+ lead_id (ZSTD)": (", lead_id VARCHAR USING COMPRESSION zstd", ", k.lead_id"),
    "+ 5 columns the file lacks (NULL)": (
        ", touch_id VARCHAR USING COMPRESSION zstd, source_id INTEGER, utm_source VARCHAR, "
        "utm_medium VARCHAR, utm_campaign VARCHAR",
        ", NULL, NULL, NULL, NULL, NULL",
    ),
    "+ batch_id, row_number": (", batch_id INTEGER, row_number BIGINT", ", 2, k.row_number"),
}
ALL = "the warehouse's 12 columns"


def _statement(group: str) -> tuple[str, str]:
    """The table for a group of columns (ALL: every group) and the insert into it."""
    chosen = list(GROUPS) if group == ALL else ["lean", group]
    ddl = "".join(GROUPS[g][0] for g in chosen)
    values = "".join(GROUPS[g][1] for g in chosen)
    table = (
        "CREATE TABLE stored (touch_key UHUGEINT USING COMPRESSION uncompressed NOT NULL, "
        f"lead_no BIGINT NOT NULL, occurred_at TIMESTAMP, channel VARCHAR{ddl})"
    )
    insert = (
        bench.LEAN_TOUCHES.replace("INSERT INTO lean_touches", "INSERT INTO stored")
        .replace("FROM lean_touches AS t", "FROM stored AS t")
        .replace(
            "k.touch_key, k.lead_no, k.occurred_at, k.channel",
            "k.touch_key, k.lead_no, k.occurred_at, k.channel" + values,
        )
    )
    return table, insert


def child(group: str, folder: Path) -> None:
    """One load in this process: the leads, then (unless group is 'leads only') the touches."""
    import duckdb

    db = folder / "stored.duckdb"
    for old in folder.glob("stored.duckdb*"):
        old.unlink()
    con = duckdb.connect(str(db))
    con.execute(bench.LEAN_TABLES)
    con.execute(bench.LEAN_LEADS, {"path": str(folder / "leads.parquet")}).fetchall()
    if group != "leads only":
        table, insert = _statement(group)
        con.execute(table)
        t0 = _cpu()
        con.execute("BEGIN TRANSACTION")
        con.execute(insert, {"path": str(folder / "touches.parquet")}).fetchall()
        con.execute("COMMIT")
        print(f"cpu {_cpu() - t0:.4f}")
    con.close()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _instructions(group: str, folder: Path) -> int:
    """Instructions of a child process under callgrind (every thread)."""
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            group,
            str(folder),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if not found:
        raise RuntimeError(f"valgrind said:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def _cpu_seconds(group: str, folder: Path) -> float:
    """CPU seconds of the touches' insert, in a child process."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", group, str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--touches", type=int, default=None, help="default: 3 x leads")
    parser.add_argument("--cpu", action="store_true", help="CPU seconds instead of instructions")
    parser.add_argument("--repeat", type=int, default=3, help="with --cpu: runs per group")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    if not args.cpu and shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: run with --cpu, or install it (Debian: valgrind)")
    touches = args.touches or 3 * args.leads
    groups = [*GROUPS, ALL]
    with tempfile.TemporaryDirectory(prefix="attribution-columns-") as tmp:
        folder = Path(tmp)
        bench.generate(folder, args.leads, touches, 42)
        print(f"{args.leads:,} leads, {touches:,} touches (Parquet); the touches' insert costs:")
        t0 = time.perf_counter()
        if args.cpu:
            cost = {
                g: statistics.median(_cpu_seconds(g, folder) for _ in range(args.repeat))
                for g in groups
            }
            unit = "CPU s"
        else:
            base = _instructions("leads only", folder)
            cost = {g: float(_instructions(g, folder) - base) for g in groups}
            unit = "M instructions"
            cost = {g: c / 1e6 for g, c in cost.items()}
        lean = cost["lean"]
        for g in groups:
            extra = "" if g == "lean" else f"  ({(cost[g] - lean) / lean:+.0%} on the lean table)"
            print(f"  {g:36} {cost[g]:10,.2f} {unit}{extra}")
        print(f"measured in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
