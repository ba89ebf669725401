"""The small-upload path of a leads ingest against the bulk path, on the soak's kind of batch (a
JSON array of 3 to 12 leads and one bad row, as POST /api/v1/ingest/leads receives it; some
leads name a source), loaded one after another into a warehouse of 200 sources and 20,000
leads, the two paths alternating batch by batch on the same warehouse.

    python benchmarks/ingest_small.py
    python benchmarks/ingest_small.py --batches 400
    python benchmarks/ingest_small.py --together 8

Prints, per path, the CPU time per batch (the process's, all threads: what a server pays for
it) as median and mean, the wall time, and the statements a batch runs; and the machine's load
average. As in the service, a cache of reads is watching, so a batch hands the rows of the
sources it changed over (one more statement when its leads name one). With --together N, it
then loads as many batches on the small path from N threads at once, and prints the CPU per
batch and how many batches each group wrote (uploads queued together are written together).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# This folder holds attribution.py: keep it off the path so `import attribution` finds the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]

PATHS = {"bulk": 0, "small": 65_536}  # ingest.small_upload_bytes of each


def batch(rng: random.Random, number: int, sources: int) -> list[dict[str, Any]]:
    """The soak's kind of batch: 3 to 12 new leads, about 30 % naming a source, one bad row."""
    records: list[dict[str, Any]] = []
    for i in range(rng.randint(3, 12)):
        record: dict[str, Any] = {
            "lead_id": f"B{number}-{i}",
            "created_at": f"2026-03-02T10:{i % 60:02d}:00Z",
        }
        if rng.random() < 0.3:
            record["source_id"] = rng.randint(1, sources)
        records.append(record)
    records.insert(rng.randint(0, len(records)), {"lead_id": f"B{number}-bad", "created_at": "x"})
    return records


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--batches", type=int, default=300, help="in all, half on each path")
    parser.add_argument("--leads", type=int, default=20_000, help="leads loaded before")
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument(
        "--together",
        type=int,
        default=0,
        help="then load --batches on the small path from this many threads at once",
    )
    args = parser.parse_args()

    from attribution.config import load_settings
    from attribution.ingest.limits import Limits
    from attribution.ingest.loader import Ingestor
    from attribution.registry import sources as registry
    from attribution.registry.schemas import SourceUpdate
    from attribution.service.pipeline import Pipeline
    from attribution.warehouse import connection

    statements: defaultdict[str, int] = defaultdict(int)
    run = connection.Warehouse.execute_text
    current = ["bulk"]

    def counted(
        self: connection.Warehouse, sql: str, params: Any = None, *, name: str = "inline"
    ) -> Any:
        statements[current[0]] += 1
        return run(self, sql, params, name=name)

    with tempfile.TemporaryDirectory(prefix="attribution-small-") as tmp:
        folder = Path(tmp)
        env = {"ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb")}
        with Pipeline.open(load_settings(environ=env)) as pipe:
            for i in range(args.sources):
                fields, _ = SourceUpdate.parse({"name": f"Source {i:03d}"}, creating=True)
                registry.create_source(pipe.warehouse, fields=fields)
            top = int(pipe.warehouse.con.execute("SELECT max(id) FROM lead_sources").fetchone()[0])  # type: ignore[index]
            pipe.warehouse.con.execute(
                "COPY (SELECT 'L' || range AS lead_id, TIMESTAMP '2026-01-01' + INTERVAL (range)"
                " MINUTE AS created_at FROM range($leads)) TO $path (HEADER)",
                {"leads": args.leads, "path": str(folder / "leads.csv")},
            )
            pipe.ingest("leads", folder / "leads.csv")
            pipe.warehouse.watch()  # as the service's read caches do: batches hand rows over
            ingestors = {
                path: Ingestor(pipe.warehouse, pipe.settings, registry.source_rows, limit)
                for path, limit in PATHS.items()
            }
            connection.Warehouse.execute_text = counted  # type: ignore[method-assign]
            rng = random.Random(1)
            cpu: defaultdict[str, list[float]] = defaultdict(list)
            wall: defaultdict[str, list[float]] = defaultdict(list)
            load_before = os.getloadavg()[0]
            warm = 10
            for b in range(args.batches + warm):
                path = ("bulk", "small")[b % 2]
                current[0] = path if b >= warm else "warm-up"
                body = folder / "records.json"
                records = batch(rng, b, top)
                body.write_text(json.dumps(records), encoding="utf-8")
                started, used = time.perf_counter(), time.process_time()
                summary = ingestors[path].ingest_file(
                    "leads",
                    body,
                    requested_format="json_array",
                    display_name="records.json",
                    limits=Limits.upload(pipe.settings),
                )
                if b >= warm:
                    cpu[path].append(time.process_time() - used)
                    wall[path].append(time.perf_counter() - started)
                assert (summary.loaded, summary.rejected) == (len(records) - 1, 1), summary
            current[0] = "together"  # counted apart from the alternating run's statements
            together = (
                concurrent(pipe, ingestors["small"], folder, top, args) if args.together else None
            )
            connection.Warehouse.execute_text = run  # type: ignore[method-assign]
    print(
        f"{args.batches} batches of 3 to 12 leads + 1 bad row into {args.leads:,} leads, "
        f"the paths alternating; load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    for path in PATHS:
        n = len(cpu[path])
        print(
            f"  {path:5}  CPU per batch median {statistics.median(cpu[path]) * 1000:.1f} ms, "
            f"mean {statistics.fmean(cpu[path]) * 1000:.1f} ms; wall median "
            f"{statistics.median(wall[path]) * 1000:.1f} ms; {statements[path] / n:.1f} "
            "statements per batch"
        )
    if together is not None:
        cpu_ms, per_merge, count = together
        print(
            f"  small, {args.together} threads at once: {count} batches, CPU per batch "
            f"{cpu_ms:.1f} ms (the process's over the run / batches); {per_merge:.1f} batches "
            "written per group (per MERGE)"
        )


def concurrent(
    pipe: Any, ingestor: Any, folder: Path, top: int, args: argparse.Namespace
) -> tuple[float, float, int]:
    """The small path with `args.together` threads loading at once, as the service's worker
    threads do under load: uploads that queue together are written as one group. Returns CPU
    per batch (ms), batches per group and the batches loaded."""
    import threading

    from attribution.ingest.limits import Limits
    from attribution.warehouse import connection

    merges = [0]
    run = connection.Warehouse.execute_text

    def counted(self: Any, sql: str, params: Any = None, *, name: str = "inline") -> Any:
        if name == "ingest_small/leads_merge":
            merges[0] += 1
        return run(self, sql, params, name=name)

    connection.Warehouse.execute_text = counted  # type: ignore[method-assign]
    each = max(1, args.batches // args.together)

    def work(thread: int) -> None:
        rng = random.Random(100 + thread)
        for b in range(each):
            body = folder / f"together-{thread}.json"
            records = batch(rng, 1_000_000 + thread * each + b, top)
            body.write_text(json.dumps(records), encoding="utf-8")
            summary = ingestor.ingest_file(
                "leads",
                body,
                requested_format="json_array",
                display_name="records.json",
                limits=Limits.upload(pipe.settings),
            )
            assert (summary.loaded, summary.rejected) == (len(records) - 1, 1), summary

    threads = [threading.Thread(target=work, args=(t,)) for t in range(args.together)]
    used = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spent = time.process_time() - used
    connection.Warehouse.execute_text = run  # type: ignore[method-assign]
    count = each * args.together
    return spent / count * 1000, count / max(1, merges[0]), count


if __name__ == "__main__":
    main()
