"""Start-up benchmark: whole-process times of the commands users run most, as they run them.

Times, each over several runs (the median and the best, in seconds):
  attribution --help
  attribution --version
  attribution sql "select 1"                   (on a published snapshot of an empty warehouse)
  attribution attribute --paths F ...          (first, last, linear, markov; 1M journeys)
and the modules `import attribution.cli` loads. The path file has the attribution benchmark's
shape (benchmarks/attribution.py): 1M journeys of 1 to 3 touches over its 10 channels, the
same channel weights, 35 % converting, log-normal values; aggregated to paths.

    python benchmarks/startup.py
    python benchmarks/startup.py --runs 10 --journeys 1000000
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = [
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
TARGETS = {"--help": 0.3, "--version": 0.3, "sql": 0.6, "attribute": 1.0}


def path_file(out: Path, journeys: int, seed: int) -> int:
    """A ChannelAttribution path file of `journeys` journeys; returns its number of paths."""
    rng = np.random.default_rng(seed)
    weights = np.linspace(2.0, 0.5, len(CHANNELS))
    lengths = rng.integers(1, 4, journeys)
    owner = np.repeat(np.arange(journeys), lengths)
    channel = rng.choice(len(CHANNELS), len(owner), p=weights / weights.sum())
    converted = rng.random(journeys) < 0.35
    value = np.where(converted, np.round(rng.lognormal(8, 0.5, journeys), 2), 0.0)
    con = duckdb.connect()
    con.register(
        "touches",
        pa.table(
            {
                "journey": owner,
                "pos": np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths),
                "channel": np.array(CHANNELS)[channel],
            }
        ),
    )
    con.register(
        "journeys",
        pa.table({"journey": np.arange(journeys), "conv": converted.astype(int), "value": value}),
    )
    con.execute(
        "COPY (SELECT path, sum(conv) AS total_conversions, round(sum(value), 2) AS "
        "total_conversion_value, sum(1 - conv) AS total_null FROM (SELECT journey, "
        "string_agg(channel, ' > ' ORDER BY pos) AS path FROM touches GROUP BY journey) "
        "JOIN journeys USING (journey) GROUP BY path ORDER BY path) TO $p (HEADER)",
        {"p": str(out)},
    )
    rows = con.execute("SELECT count(*) FROM read_csv($p)", {"p": str(out)}).fetchone()
    con.close()
    return int(rows[0]) if rows else 0


def timed(command: list[str], env: dict[str, str], runs: int) -> list[float]:
    """Whole-process seconds of `runs` runs (after one untimed warm-up run)."""
    subprocess.run(command, env=env, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each command")
    parser.add_argument("--journeys", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    # Modules compiled first, as an install does (PYTHONDONTWRITEBYTECODE would otherwise leave
    # a changed module to be compiled again in every timed process).
    compileall.compile_dir(ROOT / "attribution", quiet=1)
    exe = Path(sys.executable).parent / "attribution"
    command = [str(exe)] if exe.is_file() else [sys.executable, "-m", "attribution"]
    load = os.getloadavg()[0]
    print(f"start-up benchmark: {args.runs} runs each, load {load:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="attribution-startup-") as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb"),
            "ATTRIBUTION_SNAPSHOT__PATH": str(folder / "snap" / "wh.duckdb"),
        }
        subprocess.run([*command, "snapshot"], env=env, check=True, capture_output=True)
        paths = folder / "paths.csv"
        n_paths = path_file(paths, args.journeys, args.seed)
        print(f"path file: {args.journeys:,} journeys in {n_paths:,} paths")
        cases = {
            "--help": [*command, "--help"],
            "--version": [*command, "--version"],
            "sql": [*command, "sql", "select 1"],
            "attribute": [
                *command,
                "attribute",
                "--paths",
                str(paths),
                "--models",
                "first_touch,last_touch,linear,markov",
                "--out",
                str(folder / "results.csv"),
            ],
        }
        print(f"  {'command':12} {'median':>8} {'best':>8} {'target':>8}")
        for name, argv in cases.items():
            times = timed(argv, env, args.runs)
            median = statistics.median(times)
            verdict = "met" if median < TARGETS[name] else "NOT met"
            print(f"  {name:12} {median:7.3f}s {min(times):7.3f}s {TARGETS[name]:7.1f}s  {verdict}")
    heavy = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, attribution.cli; print(' '.join(sorted(m for m in sys.modules if "
            "m.split('.')[0] in ('pydantic', 'duckdb', 'numpy', 'scipy', 'sqlalchemy', "
            "'pyarrow', 'fastapi', 'rich', 'yaml', 'sqlglot') and '.' not in m)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"heavy libraries loaded by `import attribution.cli`: {heavy or 'none'}")


if __name__ == "__main__":
    main()
