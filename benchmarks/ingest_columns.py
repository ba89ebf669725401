"""Time ingest of a one-row leads file with many extra columns (CSV and JSON Lines).

Prints the seconds of each. Doubling the extra columns about doubles the time.

    python benchmarks/ingest_columns.py 2000 4000 8000
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# This folder holds attribution.py: keep it off the path so `import attribution` finds the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]

from attribution.config import load_settings  # noqa: E402
from attribution.service.pipeline import Pipeline  # noqa: E402


def _write(path: Path, fmt: str, extra: int) -> Path:
    record = {"lead_id": "L1", "created_at": "2026-03-02T10:00:00Z", "source": "Google"}
    record.update({f"x{i}": str(i) for i in range(extra)})
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(record.keys())
            writer.writerow(record.values())
    else:
        path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def main(counts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for fmt in ("csv", "jsonl"):
            for n in counts:
                wh = root / f"{fmt}{n}.duckdb"
                cfg = root / f"{fmt}{n}.yaml"
                data = {"warehouse": {"path": str(wh)}, "ingest": {"max_columns": n + 100}}
                cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
                with Pipeline.open(load_settings(cfg, environ={})) as pipe:
                    path = _write(root / f"leads{n}.{fmt}", fmt, n)
                    started = time.perf_counter()
                    summary = pipe.ingest("leads", path)
                    took = time.perf_counter() - started
                assert summary.loaded == 1 and len(summary.extra_columns) == n
                print(f"{fmt:5} {n:6} extra columns: {took:6.2f} s", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000, 4000, 8000])
