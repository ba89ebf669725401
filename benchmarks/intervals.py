"""Cost of bootstrap intervals: what 200 resamples add to one estimate.

1. Path file, whole process: `attribution attribute` on the start-up benchmark's 1M-journey path
   file (benchmarks/startup.py: 10 channels, 1 to 3 touches, 35 % converting), the models
   first_touch, last_touch, linear and markov, without and with `--intervals 0.9 --resamples 200`.
   Target: with intervals at most 3x without.
2. Journeys in memory, one row per journey as a run from the warehouse holds them: the run's
   default models on N journeys (1 to 5 touches over 10 channels, 30 % converting, a value and a
   touch time each), then the same models' 200 replicates. Shown as the replicates' time over
   the models' time (the stored run's own figure, journeys and writes included, is
   benchmarks/attribution.py --intervals).

    python benchmarks/intervals.py
    python benchmarks/intervals.py --journeys 1000000 --runs 3 --resamples 200
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from attribution.models import DEFAULT_MODELS, run_models  # noqa: E402
from attribution.models.bootstrap import BootstrapSpec, replicates  # noqa: E402
from attribution.models.paths import Paths  # noqa: E402
from benchmarks.startup import path_file  # noqa: E402


def whole_process(argv: list[str], runs: int) -> list[float]:
    """Seconds of `runs` runs, after one untimed warm-up."""
    subprocess.run(argv, check=True, capture_output=True)
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        out.append(time.perf_counter() - t0)
    return out


def journeys(n: int, seed: int) -> Paths:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 6, n)
    converted = (rng.random(n) < 0.3).astype(float)
    touches = int(lengths.sum())
    return Paths(
        tuple(f"channel {i}" for i in range(10)),
        np.r_[0, np.cumsum(lengths)].astype(np.int64),
        rng.choice(10, touches, p=np.linspace(2, 0.5, 10) / np.linspace(2, 0.5, 10).sum()),
        converted,
        converted * np.round(rng.lognormal(8, 0.5, n), 2),
        1.0 - converted,
        gaps=rng.random(touches) * 30,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--journeys", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each case")
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    exe = Path(sys.executable).parent / "attribution"
    command = [str(exe)] if exe.is_file() else [sys.executable, "-m", "attribution"]
    print(f"intervals benchmark: load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="attribution-intervals-") as tmp:
        source = Path(tmp) / "paths.csv"
        n_paths = path_file(source, args.journeys, args.seed)
        base = [*command, "attribute", "--paths", str(source), "--out", str(Path(tmp) / "r.csv")]
        base += ["--models", "first_touch,last_touch,linear,markov"]
        plain = whole_process(base, args.runs)
        ranged = whole_process(
            [*base, "--intervals", "0.9", "--resamples", str(args.resamples)], args.runs
        )
    ratio = statistics.median(ranged) / statistics.median(plain)
    print(f"1. path file, {args.journeys:,} journeys in {n_paths:,} paths, whole process:")
    print(f"   one estimate      {statistics.median(plain):6.2f} s (median of {args.runs})")
    print(f"   with {args.resamples} resamples {statistics.median(ranged):6.2f} s")
    print(f"   ratio {ratio:.2f}x (target at most 3x: {'met' if ratio <= 3 else 'NOT met'})")
    paths = journeys(args.journeys, args.seed)
    t0 = time.perf_counter()
    run_models(paths, DEFAULT_MODELS)
    models = time.perf_counter() - t0
    t0 = time.perf_counter()
    replicates(paths, DEFAULT_MODELS, None, BootstrapSpec(resamples=args.resamples))
    boot = time.perf_counter() - t0
    print(f"2. {args.journeys:,} journeys in memory, the {len(DEFAULT_MODELS)} default models:")
    print(f"   models {models:6.2f} s; {args.resamples} replicates {boot:6.2f} s")
    print(f"   ({boot / models:.2f}x the models; load now {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
