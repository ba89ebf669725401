"""The benchmark scripts still run against the code: each at a tiny size, in its own process.

A benchmark reads the engine's and the ingest's SQL and functions directly (a statement's
parameters, a floor's tables), so a change there can break it without any other test noticing.
These runs check that each script ends well and prints its figures; the figures themselves are
for the benchmarks' pages, not asserted here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Script and arguments -> lines its output must have.
RUNS: dict[str, tuple[str, list[str]]] = {
    "ingest": (
        "benchmarks/ingest.py --leads 2000 --formats parquet,csv --floor",
        ["parquet  first load:", "csv      first load:", "floor    lead key", "floor    lean"],
    ),
    "ingest_stored_columns": (
        "benchmarks/ingest_stored_columns.py --cpu --repeat 1 --leads 2000",
        ["+ lead_id (ZSTD)", "the warehouse's 12 columns"],
    ),
    "mam_compare": (
        "benchmarks/mam_compare.py --journeys 2000 --repeat 1 --mam-python /nonexistent/python",
        ["2,000 leads;", "attribution run, six models, whole process", "MAM not found"],
    ),
    "attribution": (
        "benchmarks/attribution.py --journeys 5000",
        ["stored run, all models, own process", "model markov"],
    ),
    "storage": (
        "benchmarks/storage.py --journeys 2000 --weeks 3",
        ["reports read back equal to those recorded", "target under 3x"],
    ),
    "api_load": (
        "benchmarks/api_load.py --requests 300 --leads 500 --sources 20",
        ["reads  300 requests", "mixed  300 requests"],
    ),
    "api_soak": (
        "benchmarks/api_load.py --soak --requests 300 --leads 500 --sources 20",
        ["soak   300 requests", "final state: every acknowledged write is stored as told"],
    ),
}


def _run(command: str, tmp_path: Path) -> str:
    """Run `python COMMAND` from the repository's root; its standard output."""
    args = command.split()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, (
        f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_benchmark_runs_at_a_tiny_size(name: str, tmp_path: Path) -> None:
    command, lines = RUNS[name]
    out = _run(command, tmp_path)
    missing = [line for line in lines if line not in out]
    assert not missing, f"{name}: no {missing} in its output:\n{out[-3000:]}"


@pytest.mark.slow
@pytest.mark.spark
def test_the_spark_journeys_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    out = _run("benchmarks/spark_journeys.py --journeys 2000 --repeat 1", tmp_path)
    for part in ("joined", "windows", "kept"):
        assert f"  {part} " in out
