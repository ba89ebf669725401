"""A simulation as the project's ingest files (leads CSV, touches Parquet, revenue JSON Lines,
spend CSV), with truth.csv and simulation.json beside them; and reading them back.

A lead is created at the person's first touch, carrying that touch's UTM values (so its creation
is that touch); the touches file holds the others. Times are whole milliseconds, UTC."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from attribution.errors import AttributionError
from attribution.models.paths import Floats
from attribution.simulation.scenarios import DAILY_SPEND, UTM
from attribution.simulation.world import PERIOD_DAYS, Simulation, Truth, touch_table

START = datetime(2026, 1, 5)  # a Monday: every simulated touch and conversion falls in 4 weeks
LOOKBACK_DAYS = 30.0  # longer than the period: every touch of a journey counts
MANIFEST = "simulation.json"
TRUTH = "truth.csv"
INPUTS = {"leads": "leads.csv", "touches": "touches.parquet", "revenue": "revenue.jsonl",
          "spend": "spend.csv"}  # fmt: skip


def _stamps(days: Floats) -> np.ndarray[Any, np.dtype[np.datetime64]]:
    millis = np.round(days * 86_400_000).astype(np.int64)
    stamps: np.ndarray[Any, np.dtype[np.datetime64]] = np.datetime64(START, "ms") + millis.astype(
        "timedelta64[ms]"
    )
    return stamps


def _text(stamps: np.ndarray[Any, np.dtype[np.datetime64]]) -> list[str]:
    return list(np.datetime_as_string(stamps, unit="ms"))


def tables(sim: Simulation) -> dict[str, pa.Table]:
    """The four ingest tables of a simulation."""
    person, channel, day = touch_table(sim)
    names = [c.name for c in sim.scenario.channels]
    utm_source = np.array([UTM[n][0] for n in names])
    utm_medium = np.array([UTM[n][1] for n in names])
    n = len(sim.world.converted)
    ids = np.char.add("SIM", np.char.zfill(np.arange(1, n + 1).astype(str), 7))
    first = np.r_[True, person[1:] != person[:-1]]  # each person's first touch creates the lead
    campaign = f"sim_{sim.scenario.name}"
    leads = pa.table(
        {
            "lead_id": ids[person[first]],
            "created_at": _text(_stamps(day[first])),
            "utm_source": utm_source[channel[first]],
            "utm_medium": utm_medium[channel[first]],
            "utm_campaign": np.full(int(first.sum()), campaign),
        }
    )
    rest = ~first
    touches = pa.table(
        {
            "lead_id": ids[person[rest]],
            "occurred_at": pa.array(_stamps(day[rest]), pa.timestamp("ms")),
            "utm_source": utm_source[channel[rest]],
            "utm_medium": utm_medium[channel[rest]],
            "utm_campaign": np.full(int(rest.sum()), campaign),
        }
    )
    won = np.flatnonzero(sim.world.converted)
    revenue = pa.table(
        {
            "event_id": np.char.add("WON-", ids[won]),
            "lead_id": ids[won],
            "occurred_at": _text(_stamps(sim.world.converted_at[won])),
            "amount": sim.draws.value[won],
            "kind": np.full(len(won), "won"),
        }
    )
    paid = [n for n in names if n in DAILY_SPEND]
    days = np.arange(PERIOD_DAYS)
    noise = np.random.default_rng(sim.seed).lognormal(0.0, 0.15, (PERIOD_DAYS, len(paid)))
    spend = pa.table(
        {
            "date": np.repeat(_text(_stamps(days.astype(np.float64))), len(paid)).astype("U10"),
            "channel": np.tile(np.array(paid, dtype=str), PERIOD_DAYS),
            "amount": np.round(np.array([DAILY_SPEND[p] for p in paid]) * noise, 2).ravel(),
        }
    )
    return {"leads": leads, "touches": touches, "revenue": revenue, "spend": spend}


def write(sim: Simulation, folder: Path) -> dict[str, Path]:
    """Write the ingest files, truth.csv and simulation.json into `folder`; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for kind, table in tables(sim).items():
        path = folder / INPUTS[kind]
        if path.suffix == ".parquet":
            pq.write_table(table, path)
        elif path.suffix == ".jsonl":
            rows = table.to_pylist()
            path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        else:
            pacsv.write_csv(table, path)
        written[kind] = path
    truth = sim.truth
    pacsv.write_csv(
        pa.table(
            {
                "channel": list(truth.channels),
                "conversions": truth.conversions,
                "value": np.round(truth.value, 2),
                "share": Truth.shares(truth.conversions),
                "value_share": Truth.shares(truth.value),
            }
        ),
        folder / TRUTH,
    )
    written["truth"] = folder / TRUTH
    manifest = {
        "scenario": sim.scenario.name,
        "summary": sim.scenario.summary,
        "seed": sim.seed,
        "journeys": len(sim.world.converted),
        "conversions": truth.total_conversions,
        "value": round(truth.total_value, 2),
        "start": START.isoformat(),
        "end": (START + timedelta(days=PERIOD_DAYS)).isoformat(),
        "lookback_days": LOOKBACK_DAYS,
        "files": {k: p.name for k, p in written.items()},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    written["manifest"] = folder / MANIFEST
    return written


@dataclass(frozen=True)
class Written:
    """A simulation folder read back: its manifest, inputs and truth."""

    folder: Path
    manifest: dict[str, Any]
    inputs: dict[str, Path]
    truth: Truth


def read(folder: Path) -> Written:
    """A folder written by `attribution simulate`, or an error saying what is missing."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise AttributionError(
            f"{folder} has no {MANIFEST}: give a folder written by `attribution simulate`"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    inputs = {kind: folder / name for kind, name in INPUTS.items()}
    missing = [p.name for p in [*inputs.values(), folder / TRUTH] if not p.is_file()]
    if missing:
        raise AttributionError(f"{folder} lacks {', '.join(missing)}: simulate it again")
    rows = pacsv.read_csv(folder / TRUTH).to_pydict()
    truth = Truth(
        tuple(str(c) for c in rows["channel"]),
        np.asarray(rows["conversions"], dtype=np.float64),
        np.asarray(rows["value"], dtype=np.float64),
        float(manifest["conversions"]),
        float(manifest["value"]),
    )
    return Written(folder, manifest, inputs, truth)
