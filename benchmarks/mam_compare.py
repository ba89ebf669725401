"""This project against MAM (`marketing-attribution-models` 2.1.1) on the same journeys.

Loads the attribution benchmark's seeded data (benchmarks/attribution.py) into a warehouse and
exports the touch-level events of the run's journeys (one row per touch: journey, time,
channel, whether the journey converted, and its value on its last touch) to Parquet. Then, each
in a fresh process and repeated, times the whole process and its peak memory of:

- `attribution run` with the six models both tools compute (first, last, linear,
  position-based, time decay, Markov), from the warehouse, stored;
- MAM on the exported events, in its own virtualenv: its six `run_*` calls for conversions
  and again for value, in one process (reading the events included).

MAM is not a dependency of this project: install it in a scratch virtualenv and point
--mam-python at it (default /tmp/mam/bin/python); without it only this project is timed.

    python3 -m venv /tmp/mam && /tmp/mam/bin/pip install marketing-attribution-models==2.1.1
    python benchmarks/mam_compare.py --journeys 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]

from attribution.config import load_settings  # noqa: E402
from attribution.engine import channels  # noqa: E402
from attribution.service.pipeline import Pipeline  # noqa: E402
from benchmarks.attribution import END, START, compiled, generate  # noqa: E402

MODELS = "first_touch,last_touch,linear,position_based,time_decay,markov"
LOOKBACK_DAYS = 30
# Run by MAM's interpreter: the six run_* calls for conversions, then for value.
MAM_SCRIPT = """
import sys
import polars as pl
from mam import MAM

events = pl.read_parquet(sys.argv[1])
for value in (None, "value"):
    mam = MAM(
        events, format_type="session", channels_colname="channel",
        journey_with_conv_colname="has_conv", datetime_colname="ts",
        user_id_colname="journey", conversion_value_colname=value,
    )
    for run in (mam.run_first_click, mam.run_last_click, mam.run_linear,
                mam.run_position_based, mam.run_time_decay, mam.run_markov):
        run()
"""


def _hwm_mb(pid: int) -> float | None:
    """A live process's peak resident memory so far (VmHWM, MB): reset at exec, unlike
    ru_maxrss, which a child keeps from its parent (this script holds the data set)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def timed_process(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident memory (MB) of one child process."""
    t0 = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL)
    peak = 0.0
    while True:  # VmHWM only grows: the last reading before the exit is the peak
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _hwm_mb(child.pid) or 0.0)
        time.sleep(0.02)
    seconds = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{args[0]} ... failed with exit code {child.returncode}")
    return seconds, usage.ru_utime + usage.ru_stime, peak


# The run's journeys touch by touch (as the engine cuts them: journeys/journey_touches.sql), one
# row per touch: a converting journey per conversion, its lead's touches in the lookback window;
# a non-converting journey per lead with no conversion, its touches in the last lookback before
# the end. The journey's value is on its last touch.
EVENTS = """
COPY (
    SELECT 'c:' || c.conversion_id AS journey, t.occurred_at AS ts, t.channel, true AS has_conv,
        CASE WHEN row_number() OVER (
            PARTITION BY c.conversion_id
            ORDER BY t.occurred_at DESC, t.batch_id DESC, t.row_number DESC, t.is_lead_creation DESC
        ) = 1 THEN c.value ELSE 0 END AS value
    FROM run_conversions AS c
    JOIN touch_channels AS t ON t.lead_no = c.lead_no
    WHERE t.occurred_at < c.converted_at AND t.occurred_at >= c.converted_at - $lookback
    UNION ALL
    SELECT 'n:' || l.lead_id, t.occurred_at, t.channel, false, 0
    FROM touch_channels AS t
    JOIN leads AS l ON l.lead_no = t.lead_no
    WHERE NOT l.junk AND l.created_at < $end
      AND t.occurred_at >= $window_from AND t.occurred_at < $end
      AND t.lead_no NOT IN (SELECT lead_no FROM run_conversions)
) TO $out (FORMAT parquet)
"""


def export_events(pipe: Pipeline, out: Path) -> int:
    """The run's journeys, touch by touch, as MAM's session format; the number of touches."""
    wh = pipe.warehouse
    lookback = timedelta(days=LOOKBACK_DAYS)
    with wh.cursor() as cur:
        channels.map_touches(cur, since=START - lookback, until=END, all_leads=True)
        cur.con.register("run_kinds", pa.table({"kind": ["won"]}))
        cur.execute("journeys/conversions", {"start": START, "end": END, "lookback": lookback})
        window = {"lookback": lookback, "end": END, "window_from": END - lookback}
        cur.con.execute(EVENTS, {**window, "out": str(out)})
        row = cur.con.execute("SELECT count(*) FROM read_parquet($out)", {"out": str(out)})
        touches = row.fetchone()
    return int(touches[0]) if touches else 0


def summary(label: str, runs: list[tuple[float, float, float]]) -> tuple[float, float]:
    secs, cpu, mem = ([r[i] for r in runs] for i in range(3))
    print(
        f"  {label:44} {min(secs):6.2f} to {max(secs):6.2f} s (median "
        f"{statistics.median(secs):.2f}; CPU {min(cpu):.1f} to {max(cpu):.1f} s), "
        f"peak {min(mem):.0f} to {max(mem):.0f} MB"
    )
    return statistics.median(secs), max(mem)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--journeys", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool (default 3)")
    parser.add_argument("--mam-python", default="/tmp/mam/bin/python")
    args = parser.parse_args()
    mam = Path(args.mam_python)
    compiled()
    with tempfile.TemporaryDirectory(prefix="attribution-mam-") as tmp:
        folder = Path(tmp)
        files = generate(folder, args.journeys, args.seed)
        db = folder / "wh.duckdb"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "ATTRIBUTION_WAREHOUSE__PATH": str(db)}
        with Pipeline.open(load_settings(environ={"ATTRIBUTION_WAREHOUSE__PATH": str(db)})) as p:
            for kind in ("leads", "touches", "revenue"):
                p.ingest(kind, files[kind])
            events = folder / "events.parquet"
            touches = export_events(p, events)
        print(f"{args.journeys:,} leads; {touches:,} touches in the run's journeys")
        window = f"{START:%Y-%m-%d}..{END - timedelta(days=1):%Y-%m-%d}"  # TO is included
        ours_args = [sys.executable, "-m", "attribution", "run", "--window", window]
        ours_args += ["--lookback", f"{LOOKBACK_DAYS}d", "--models", MODELS]
        ours_args += ["--no-intervals"]  # MAM gives point estimates only: compare like with like
        script = folder / "mam_run.py"
        script.write_text(MAM_SCRIPT)
        ours, theirs = [], []
        load = [os.getloadavg()[0]]
        for _ in range(args.repeat):  # interleaved, so that both see the same load
            ours.append(timed_process(ours_args, env))
            if mam.exists():
                theirs.append(timed_process([str(mam), str(script), str(events)], env))
            load.append(os.getloadavg()[0])
    print(f"  load average (1 min) during the runs: {min(load):.1f} to {max(load):.1f}")
    our_s, our_mb = summary("attribution run, six models, whole process", ours)
    if not theirs:
        print(f"  MAM not found at {mam}: see --help to install it in a scratch virtualenv")
        return
    mam_s, mam_mb = summary("MAM 2.1.1, six run_* x (conversions, value)", theirs)
    print(
        f"  attribution is {mam_s / our_s:.1f}x faster (medians); peak {our_mb:.0f} MB "
        f"against {mam_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
