"""Ingest benchmark: 1,000,000 leads and 3,000,000 touches, from Parquet and from CSV.

Each pass loads into a fresh warehouse, then loads the same files again (nothing new may land).
Prints rows per second and the peak memory of the process that ran the pass.

    python benchmarks/ingest.py                      # the issue's sizes
    python benchmarks/ingest.py --leads 100000 --formats parquet
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

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


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it is not inherited from
    the parent across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def generate(folder: Path, leads: int, touches: int, seed: int) -> dict[str, Path]:
    """Seeded leads and touches as Parquet and CSV files in folder."""
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
        pq.write_table(table, out[f"{name}.parquet"])
        out[f"{name}.csv"] = folder / f"{name}.csv"
        pacsv.write_csv(table, out[f"{name}.csv"])
    return out


def _pass(files: list[tuple[str, str]], db: str, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    """One pass in its own process, so that peak memory is this pass's alone."""
    from attribution.config import load_settings
    from attribution.ingest.loader import Ingestor
    from attribution.warehouse.connection import Warehouse

    settings = load_settings(environ={"ATTRIBUTION_WAREHOUSE__PATH": db})
    results = []
    with Warehouse.open(settings) as wh:
        ingestor = Ingestor(wh, settings)
        for repeat in (1, 2):
            for kind, path in files:
                t0 = time.perf_counter()
                s = ingestor.ingest_file(kind, Path(path))
                secs = time.perf_counter() - t0
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
                    }
                )
    peak = peak_mb()
    queue.put({"results": results, "peak_mb": peak})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--touches", type=int, default=None, help="default: 3 x leads")
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    touches = args.touches or 3 * args.leads
    with tempfile.TemporaryDirectory(prefix="attribution-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        files = generate(folder, args.leads, touches, args.seed)
        print(
            f"generated {args.leads:,} leads and {touches:,} touches in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        ctx = mp.get_context("spawn")
        summary = []
        for fmt in args.formats.split(","):
            queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
            todo = [
                ("leads", str(files[f"leads.{fmt}"])),
                ("touches", str(files[f"touches.{fmt}"])),
            ]
            proc = ctx.Process(target=_pass, args=(todo, str(folder / f"{fmt}.duckdb"), queue))
            proc.start()
            out = queue.get()
            proc.join()
            for load in (1, 2):
                rows = [r for r in out["results"] if r["load"] == load]
                total = sum(r["rows"] for r in rows)
                secs = sum(r["seconds"] for r in rows)
                loaded = sum(r["loaded"] for r in rows)
                label = "first load" if load == 1 else "same files again"
                print(
                    f"{fmt:8} {label:17} {total:>10,} rows in {secs:6.2f} s = "
                    f"{total / secs / 1e6:5.2f} M rows/s, loaded {loaded:,}"
                )
                for r in rows:
                    print(
                        f"         {r['kind']:8} {r['rows']:>10,} rows {r['seconds']:6.2f} s "
                        f"({r['rows'] / r['seconds'] / 1e6:.2f} M rows/s) loaded {r['loaded']:,}"
                    )
            print(f"{fmt:8} peak memory of the pass: {out['peak_mb']:.0f} MB")
            summary.append({"format": fmt, **out})
        if args.json:
            print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
