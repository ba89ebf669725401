"""Storage benchmark: a year of weekly report jobs on one warehouse, with retention's defaults.

N seeded journeys (each lead a journey: its creation and 2 touches, about 35 % converting, 10
channels, spend per channel and day) over 65 weeks; then, with the clock set to each Monday
07:00 UTC, the weekly job's steps: the report of the last complete week (its run over the week,
the previous one and the trend weeks), then prune. Prints the warehouse file's size after the
first report and after every Nth, and at the end checks that every report's figures (both
periods, every channel, source, model and data-quality count, days-to-convert bins, the weekly
trend) read back from the warehouse equal those recorded when it was built, and prints the size
of a compacted copy (the data without DuckDB's free space). --no-prune runs the same reports
without the prune step, for contrast; --full-runs N sets retention.full_runs.

    python benchmarks/storage.py --journeys 100000
    python benchmarks/storage.py --journeys 100000 --no-prune
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
# This folder holds attribution.py: keep it off the path so `import attribution` finds the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]

from attribution import clock  # noqa: E402
from attribution.config import load_settings  # noqa: E402
from attribution.engine.retention import PER_CONVERSION  # noqa: E402
from attribution.reporting import metrics  # noqa: E402
from attribution.reporting.period import Period  # noqa: E402
from attribution.reporting.rows import Figures, TrendRow  # noqa: E402
from attribution.service.pipeline import Pipeline  # noqa: E402
from attribution.service.retention import file_bytes, free_bytes  # noqa: E402
from attribution.warehouse.statements import fill, quote_ident  # noqa: E402

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
START, END = datetime(2025, 10, 1), datetime(2026, 12, 28)  # 65 weeks; reports of 2026-W01..52
FIRST_WEEK = date(2025, 12, 29)  # Monday of 2026-W01


def generate(folder: Path, n: int, seed: int) -> dict[str, Path]:
    """n leads over START..END, 2 touches each before the lead's creation, ~35 % won."""
    rng = np.random.default_rng(seed)
    span = int((END - START).total_seconds())
    ids = np.char.add("L", np.arange(n).astype(str))
    converted = rng.random(n) < 0.35
    created = np.datetime64(START, "s") + rng.integers(25 * 86400, span, n).astype("timedelta64[s]")
    won_at = created + rng.integers(3600, 30 * 86400, n).astype("timedelta64[s]")
    converted &= won_at < np.datetime64(END, "s")
    weights = np.linspace(2.0, 0.5, len(CHANNELS))
    weights /= weights.sum()
    owner = np.repeat(np.arange(n), 2)
    touch_at = created[owner] - rng.integers(60, 25 * 86400, 2 * n).astype("timedelta64[s]")
    days = np.arange(np.datetime64(START.date()), np.datetime64(END.date()))
    tables = {
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
        "spend": pa.table(
            {
                "date": np.repeat(days, len(CHANNELS)),
                "channel": np.tile(CHANNELS, len(days)),
                "amount": np.round(rng.uniform(100, 5000, len(days) * len(CHANNELS)), 2),
            }
        ),
    }
    out = {}
    for kind, table in tables.items():
        out[kind] = folder / f"{kind}.parquet"
        pq.write_table(table, out[kind])
    return out


def set_clock(at: datetime) -> None:
    """The benchmark's "now": what a scheduled job would read at that time."""
    clock.now = lambda: at.replace(tzinfo=UTC)


def per_conversion_rows(pipe: Pipeline) -> int:
    return sum(
        # the table names are this file's constants
        int(pipe.warehouse.con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])  # noqa: S608
        for t in PER_CONVERSION
    )


def compacted_bytes(pipe: Pipeline, path: Path) -> int:
    """The size of a fresh copy of the warehouse (COPY FROM DATABASE, as the snapshot is made):
    its data without the free space DuckDB keeps inside the live file."""
    wh = pipe.warehouse
    wh.execute("snapshot/attach", {"path": str(path), "storage_version": "latest"})
    current = str(wh.scalar("snapshot/current_database"))
    wh.execute_text(fill("snapshot/copy_database", warehouse=quote_ident(current)))
    wh.execute("snapshot/detach")
    return file_bytes(path)


Answer = tuple[Figures, Figures, list[TrendRow]]


def answer(pipe: Pipeline, run_id: int, period: Period, spec_models: tuple[str, ...]) -> Answer:
    """A report's figures as the warehouse answers them: both periods and the trend."""
    settings = pipe.settings.reports
    primary = settings.primary_model if settings.primary_model in spec_models else spec_models[0]
    wh = pipe.warehouse
    now = metrics.figures(wh, run_id, period, spec_models, primary=primary)
    before = metrics.figures(wh, run_id, period.previous(), spec_models, primary=primary)
    trend = metrics.weekly_trend(wh, run_id, period.weeks_back(settings.trend_weeks), period.end)
    return now, before, trend


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--journeys", type=int, default=100_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--every", type=int, default=4, help="print the size every N reports")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--no-prune", action="store_true", help="reports only, for contrast")
    parser.add_argument(
        "--full-runs", type=int, default=0, help="retention.full_runs (default: the config's)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="attribution-storage-bench-") as tmp:
        folder = Path(tmp)
        files = generate(folder, args.journeys, args.seed)
        db = folder / "wh.duckdb"
        env = {
            "ATTRIBUTION_WAREHOUSE__PATH": str(db),
            "ATTRIBUTION_REPORTS__OUTPUT_DIR": str(folder / "reports"),
        }
        if args.full_runs:
            env["ATTRIBUTION_RETENTION__FULL_RUNS"] = str(args.full_runs)
        settings = load_settings(environ=env)
        print(
            f"{args.journeys:,} journeys, {args.weeks} weekly reports, "
            f"{'no prune' if args.no_prune else 'prune after each'} "
            f"(retention.full_runs {settings.retention.full_runs})"
        )
        t0 = time.perf_counter()
        with Pipeline.open(settings) as pipe:
            for kind in ("leads", "touches", "revenue", "spend"):
                pipe.ingest(kind, files[kind])
            pipe.warehouse.con.execute("CHECKPOINT")
            loaded = file_bytes(db)
            print(f"loaded in {time.perf_counter() - t0:.1f} s: file {loaded / 1e6:.1f} MB")
            recorded: dict[int, tuple[Period, tuple[str, ...], Answer]] = {}
            first = 0
            prunes: list[float] = []
            t0 = time.perf_counter()
            for i in range(args.weeks):
                monday = FIRST_WEEK + timedelta(weeks=i + 1)
                set_clock(datetime.combine(monday, datetime.min.time()) + timedelta(hours=7))
                spec = pipe.report_spec(Period.last_complete_week(monday))
                built = pipe.report(spec)
                recorded[built.run_id] = (
                    spec.period,
                    spec.models,
                    answer(pipe, built.run_id, spec.period, spec.models),
                )
                if not args.no_prune:
                    started = time.perf_counter()
                    pipe.prune()
                    prunes.append(time.perf_counter() - started)
                pipe.warehouse.con.execute("CHECKPOINT")  # the WAL into the file: sizes compare
                size = file_bytes(db)
                first = first or size
                n = i + 1
                if n == 1 or n % args.every == 0 or n == args.weeks:
                    print(
                        f"  after report {n:2} ({spec.period.label}): file {size / 1e6:7.1f} MB "
                        f"({size / first:4.2f}x the first), {free_bytes(pipe.warehouse) / 1e6:6.1f}"
                        f" MB free inside, {per_conversion_rows(pipe):>10,} per-conversion rows"
                        f", {time.perf_counter() - t0:6.0f} s"
                    )
            equal = [
                run_id
                for run_id, (period, models, then) in recorded.items()
                if answer(pipe, run_id, period, models) == then
            ]
            pruned = pipe.warehouse.con.execute(
                "SELECT count(*) FROM attribution_runs WHERE pruned_at IS NOT NULL"
            ).fetchall()[0][0]
            compact = compacted_bytes(pipe, folder / "compact.duckdb")
        closed = file_bytes(db)
        if prunes:
            print(
                f"prune: {sum(prunes) / len(prunes):.2f} s on average, at most {max(prunes):.2f} s"
            )
        print(
            f"figures of {len(equal)} of {len(recorded)} reports read back equal to those "
            f"recorded when built ({pruned} of their runs pruned)"
        )
        print(
            f"file after the first report {first / 1e6:.1f} MB, after {args.weeks}: "
            f"{closed / 1e6:.1f} MB once closed ({closed / first:.2f}x; target under 3x); "
            f"a compacted copy of it {compact / 1e6:.1f} MB ({compact / first:.2f}x)"
        )


if __name__ == "__main__":
    main()
