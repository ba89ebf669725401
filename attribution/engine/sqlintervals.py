"""Intervals of a run on a SQL engine (Spark): the Poisson bootstrap over the distinct paths the
engine brings back, so that nothing per journey leaves it (see docs/spark.md, "Intervals").

The run's window: every model but time_decay recomputed on each replicate of the distinct
paths (bootstrap.replicates, method poisson: each path's converting and non-converting
journeys drawn from Poissons of their counts, each converting journey carrying its path's mean
value). time_decay's shares depend on each journey's touch times, not only on its path: the
engine sums its credit per (path, channel), and each journey of a path carries the path's mean
shares. A period inside the window (a report's): the period's converting journeys per path
drawn from Poissons, each carrying its path's credit in the period: its shares under each
path-determined model (engine/pathshares.py), time_decay's mean credit (the DuckDB engine holds
each journey's own credit)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from attribution.engine.intervals import Bounds, Scope, placebo_rows
from attribution.engine.pathshares import Shares
from attribution.engine.sqlengine import SqlEngine
from attribution.models.bootstrap import BootstrapSpec, Replicates
from attribution.models.paths import Floats, Paths

if TYPE_CHECKING:
    from attribution.engine.runs import RunSpec

_PER_PATH = ("time_decay",)  # models whose credit the path alone does not fix


def _floats(table: pa.Table, name: str) -> Floats:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), np.float64)


def by_path(table: pa.Table) -> pa.Table:
    """Rows in path_key order, sorted here: the engines' string orders may differ, and the
    replicates' draws follow the rows."""
    return table.take(pc.sort_indices(table, [("path_key", "ascending")]))


def path_file(totals: pa.Table, channels: tuple[str, ...]) -> Paths:
    """The distinct paths of models/path_totals (path_key: channel codes joined by '>') as
    Paths, in the table's order."""
    steps = pc.split_pattern(totals.column("path_key"), ">")
    lengths = pc.list_value_length(steps).to_numpy().astype(np.int64)

    def column(name: str) -> Floats:
        return np.asarray(totals.column(name).to_numpy(zero_copy_only=False), np.float64)

    return Paths(
        channels=channels,
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        codes=pc.cast(pc.list_flatten(steps), pa.int64()).to_numpy().astype(np.int64),
        conversions=column("conversions"),
        value=column("value"),
        nulls=column("nulls"),
    )


class PathCredit:
    """Each model's credit per (distinct path, channel) of the converting journeys of each
    period asked for (the run's window for time_decay, and the spec's periods): time_decay's
    read from the engine while its touch_credit view is in place, the other models' from their
    shares of each path."""

    def __init__(self, engine: SqlEngine, spec: RunSpec, channels: tuple[str, ...]) -> None:
        self.engine, self.spec, self.channels = engine, spec, channels
        self.periods: list[tuple[datetime, datetime]] = []
        if spec.intervals is not None:
            self.periods = [(spec.start, spec.end), *spec.interval_periods]
        self.journeys = [self._journeys(p) for p in self.periods]
        self.credit: dict[str, list[tuple[Floats, Floats]]] = {}

    def _journeys(self, period: tuple[datetime, datetime]) -> pa.Table:
        params: dict[str, object] = {"from": period[0], "to": period[1]}
        return by_path(self.engine.query("models/path_period_journeys", params))

    def add(self, model: str) -> None:
        """Read a per-journey model's credit per (path, channel) for each period."""
        found = []
        for k, (start, end) in enumerate(self.periods):
            rows = self.engine.query("models/path_period_credit", {"from": start, "to": end})
            found.append(self._matrix(rows, self.journeys[k]))
        self.credit[model] = found

    def add_shares(self, keys: pa.Array, paths: Paths, shares: Shares) -> None:
        """The path-determined models' credit per (path, channel) in each period after the
        first (their window replicates are refits): a journey of a path carries the path's
        conversion shares, and its value shares of the path's mean value in the period."""
        empty = (np.zeros((0, 0)), np.zeros((0, 0)))
        n_ch = max(len(self.channels), 1)
        owner, codes = paths.path_of_touch, paths.codes
        for credit in shares.credits:
            found = [empty]
            for journeys in self.journeys[1:]:
                found_at = pc.fill_null(pc.index_in(keys, journeys.column("path_key")), -1)
                row = np.asarray(found_at.to_numpy(zero_copy_only=False), np.int64)
                inside = row[owner] >= 0
                cell = row[owner][inside] * n_ch + codes[inside]
                size = journeys.num_rows * n_ch
                count = _floats(journeys, "journeys")
                mean = _floats(journeys, "value") / np.maximum(count, 1.0)
                out: list[Floats] = []
                for per_touch, scale in (
                    (shares.conversion[credit.model], np.ones(journeys.num_rows)),
                    (shares.value[credit.model], mean),
                ):
                    summed = np.bincount(cell, per_touch[inside], size).astype(np.float64)
                    summed = summed.reshape(-1, n_ch)
                    out.append(summed[:, : len(self.channels)] * scale[:, None])
                found.append((out[0], out[1]))
            self.credit[credit.model] = found

    def _matrix(self, rows: pa.Table, journeys: pa.Table) -> tuple[Floats, Floats]:
        """(paths of the period, channels) credit, conversions and value, per journey: each
        path's mean."""
        keys = journeys.column("path_key")
        row = pc.index_in(rows.column("path_key"), keys).to_numpy(zero_copy_only=False)
        col = pc.index_in(rows.column("channel"), pa.array(self.channels, pa.string()))
        col_no = col.to_numpy(zero_copy_only=False)
        count = np.asarray(journeys.column("journeys").to_numpy(zero_copy_only=False), np.float64)
        shape = (len(keys), len(self.channels))
        out = []
        for name in ("conversions", "value"):
            matrix = np.zeros(shape)
            values = np.asarray(rows.column(name).to_numpy(zero_copy_only=False), np.float64)
            np.add.at(matrix, (row.astype(np.int64), col_no.astype(np.int64)), values)
            out.append(matrix / np.maximum(count, 1.0)[:, None])
        return out[0], out[1]

    def replicates(self, k: int, spec: BootstrapSpec) -> dict[str, Replicates]:
        """Period k's replicates of every model read for it: each path's converting journeys
        drawn from a Poisson of their count (one draw per path and replicate, the same for
        every model), times the path's mean credit."""
        count = np.asarray(
            self.journeys[k].column("journeys").to_numpy(zero_copy_only=False), np.float64
        )
        rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 1 + k]))
        drawn = rng.poisson(count, (spec.resamples, len(count))).astype(np.float64)
        out = {}
        for model, periods in self.credit.items():
            conv, value = periods[k]
            if conv.shape[0] != len(count):  # not read for this period
                continue
            out[model] = Replicates(model, self.channels, drawn @ conv, drawn @ value)
        return out


def tables(spec: RunSpec, paths: Paths, credit: PathCredit) -> dict[str, pa.Table]:
    """The run's interval rows (engine/intervals.py's tables), none without intervals."""
    from attribution.models import bootstrap

    if spec.intervals is None:
        return {}
    poisson = replace(spec.intervals, method="poisson")
    bounds = Bounds(poisson)
    started = time.perf_counter()
    if paths.n_paths == 0:
        return {}
    refit = [m for m in spec.models if m not in _PER_PATH]
    reps = bootstrap.replicates(paths, refit, spec.options, poisson) if refit else {}
    reps.update(credit.replicates(0, poisson))  # time_decay: per-path mean shares
    seconds = time.perf_counter() - started
    bounds.scopes.append((Scope(spec.start, spec.end, "poisson", "refit", seconds), reps))
    for k, (start, end) in enumerate(spec.interval_periods, start=1):
        started = time.perf_counter()
        held = credit.replicates(k, poisson)
        scope = Scope(start, end, "poisson", "held", time.perf_counter() - started)
        bounds.scopes.append((scope, held))
    found = bounds.tables()
    if spec.placebo and refit:  # time_decay needs each touch's time: not on the paths
        found["run_placebo_rows"] = placebo_rows(paths, refit, spec.options, poisson)
    return found
