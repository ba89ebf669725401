"""Coverage and ground-truth benchmark: for each simulated scenario (docs/models.md), many
independent data sets of --journeys journeys; per model, how often its bootstrap interval of
conversions (--level, --resamples) holds the model's value on a large sample of the same process
(--large journeys; the target is 85 to 95 % at 90 %), and its mean scores against the switch-off
truth (half-L1 of shares, Kendall's tau-b, top-3 agreement, coverage of the true value).

With --write-guidance, also writes the scores and each scenario's shape to
reports/model_guidance.json, which the report's method note reads (reporting/guidance.py).

    python benchmarks/coverage.py --datasets 100 --journeys 20000
    python benchmarks/coverage.py --datasets 100 --journeys 20000 --write-guidance
    python benchmarks/coverage.py --scenarios additive,placebo --datasets 20
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This folder is not a package path: keep it off sys.path so `import attribution` finds ROOT's.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]

from attribution.models.bootstrap import BootstrapSpec  # noqa: E402
from attribution.simulation.coverage import ModelStudy, study  # noqa: E402
from attribution.simulation.scenarios import SCENARIOS  # noqa: E402
from attribution.simulation.scores import EVALUATED  # noqa: E402

GUIDANCE = ROOT / "reports" / "model_guidance.json"


def binomial_band(p: float, n: int) -> float:
    """Two binomial standard errors of a proportion p over n trials."""
    return 2 * math.sqrt(p * (1 - p) / n) if n else math.nan


def show(scenario: str, found: list[ModelStudy], seconds: float) -> None:
    print(f"\n{scenario} ({seconds:.0f} s)")
    print(f"{'model':<16}{'coverage':>9}{'+-2se':>7}{'half-L1':>9}{'tau-b':>7}{'top 3':>7}"
          f"{'truth cov':>10}")  # fmt: skip
    for m in found:
        s = m.summary()
        print(
            f"{m.model:<16}{s['coverage']:>9.3f}{binomial_band(0.9, m.trials):>7.3f}"
            f"{s['half_l1']:>9.3f}{s['tau_b']:>7.2f}{s['top3']:>7.2f}{s['truth_coverage']:>10.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--models", default=",".join(EVALUATED))
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--journeys", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--level", type=float, default=0.9)
    parser.add_argument("--write-guidance", action="store_true")
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    spec = BootstrapSpec(level=args.level, resamples=args.resamples)
    print(
        f"{args.datasets} data sets of {args.journeys:,} journeys per scenario, {args.resamples} "
        f"resamples, {args.level:.0%} intervals; large sample {args.large:,} journeys. "
        "Figures from a shared, noisy machine."
    )
    scenarios = []
    pooled: dict[str, list[int]] = {m: [0, 0] for m in models}
    started = time.perf_counter()
    for name in args.scenarios.split(","):
        t0 = time.perf_counter()
        found, shape = study(
            SCENARIOS[name],
            models,
            datasets=args.datasets,
            journeys=args.journeys,
            large=args.large,
            spec=spec,
            progress=lambda text: print(f"  {text}", file=sys.stderr, flush=True),
        )
        show(name, found, time.perf_counter() - t0)
        for m in found:
            pooled[m.model][0] += m.hits
            pooled[m.model][1] += m.trials
        scenarios.append(
            {
                "name": name,
                "summary": SCENARIOS[name].summary,
                "shape": shape,
                "models": {m.model: m.summary() for m in found},
            }
        )
    print("\nPooled coverage of the large sample's value (all scenarios, every channel):")
    for model, (hits, trials) in pooled.items():
        print(f"  {model:<16}{hits / trials:.3f} of {trials} intervals")
    print(f"total {time.perf_counter() - started:.0f} s")
    if args.write_guidance:
        guidance = {
            "command": "python benchmarks/coverage.py " + " ".join(sys.argv[1:]),
            "datasets": args.datasets,
            "journeys": args.journeys,
            "resamples": args.resamples,
            "level": args.level,
            "scenarios": scenarios,
        }
        GUIDANCE.write_text(json.dumps(guidance, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {GUIDANCE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
