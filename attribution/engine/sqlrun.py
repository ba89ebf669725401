"""An attribution run whose set work is the portable SQL of sql/ on any SqlEngine (Spark for
data beyond one machine; DuckDB in the tests that hold both engines to the same answers).

The engine maps channels, builds the journeys once and brings back the distinct paths with
their counts (small). Every model but time_decay runs here on those paths, with the in-memory
engine's own functions (engine/pathshares.py); their shares per (path, position) go back to the
engine as one small table, which spreads every model's credit over (channel, lead source, day)
in one aggregation. time_decay, whose shares depend on each touch's time, is one statement on
the engine. Only small tables come back: the paths, the cells, and the run's per-conversion and
per-day rows."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from attribution.engine import pathshares, runs, sqlconversions, sqlintervals
from attribution.engine.runs import RunSpec
from attribution.engine.sqlengine import SqlEngine
from attribution.errors import AttributionError
from attribution.models import MODELS, check_names, markov
from attribution.models.result import Credit
from attribution.warehouse.connection import Warehouse

# Every model but a path file's transforms: time_decay on the engine, the others on the paths.
SQL_MODELS = tuple(MODELS)


@dataclass(frozen=True)
class Found:
    """The run's journeys as counted by the engine (what attribution_runs records); paths: the
    distinct paths with their counts (models/path_totals.sql), as the engine gave them;
    pending: the rows store() reads, by statement, started on the engine (SqlEngine.soon)."""

    converting: int
    conversions_without_touches: int
    non_converting: int
    touches_after_conversion: int
    touches_too_early: int
    channels: tuple[str, ...]
    value: float
    paths: pa.Table | None = field(default=None, compare=False, repr=False)
    pending: dict[str, Callable[[], pa.Table]] = field(
        default_factory=dict, compare=False, repr=False
    )


@dataclass
class SqlRun:
    """What a run computed on an engine: per model, its credit per channel and its cells."""

    found: Found
    input_hash: str
    credits: list[Credit] = field(default_factory=list)
    cells: dict[str, pa.Table] = field(default_factory=dict)  # model -> (channel, source, day)
    intervals: dict[str, pa.Table] = field(default_factory=dict)  # engine/sqlintervals.py


def journeys(engine: SqlEngine, spec: RunSpec, mapper: SqlEngine | None = None) -> Found:
    """Map channels and build the journeys and their distinct paths on the engine (its touches,
    leads, revenue_events, lead_sources and channel_rules must be there). The rules are matched
    on the distinct mapping keys (a few dozen rows) by mapper (default: the engine; a Spark run
    hands them to the warehouse's DuckDB, where they take milliseconds, not Spark jobs)."""
    lookback = timedelta(days=spec.lookback_days)
    window = {
        "end": spec.end,
        "window_from": spec.end - lookback,
        "half_life_days": _half_life(spec),
    }
    engine.register("run_kinds", pa.table({"kind": pa.array(list(spec.kinds), pa.string())}))
    mapped: dict[str, object] = {
        "since": spec.start - lookback,
        "until": spec.end,
        "leads_since": None,
    }
    engine.view("run_touch_rows", "channels/touch_rows", mapped)
    keys = engine.query("journeys/mapping_keys")
    on = mapper or engine
    on.register("run_mapping_keys", keys)
    key_channels = on.query("journeys/key_channels")
    on.register("run_key_channels", key_channels)
    run_channels = on.query("journeys/run_channels")
    if on is not engine:
        engine.register("run_key_channels", key_channels)
    engine.register("run_channels", run_channels)
    engine.create("channels/map_touches", keep=False)  # read once, by journey_touches
    conversions = {"start": spec.start, "end": spec.end, "lookback": lookback}
    engine.create("journeys/conversions", conversions)
    engine.create("journeys/journey_touches", window)
    engine.create("models/journey_steps")
    engine.create("models/run_journeys")
    names = run_channels.sort_by("code").column("channel").to_pylist()
    # The distinct paths and window figures alone (the models wait for them); then the rows
    # that store() reads, beside the models, which leave Spark's cores idle. Started earlier,
    # the jobs of those statements would queue before the later jobs (a job per stage) of the
    # statements that every later one waits for.
    paths = sqlintervals.by_path(engine.query("models/path_totals"))
    stats = engine.query("journeys/window_stats").to_pylist()[0]
    pending = {"journeys/converting_rows": engine.soon("journeys/converting_rows")}
    days = {"run_id": 0, "start": spec.start, "end": spec.end}
    for name in ("runs/insert_lead_days", "runs/insert_spend_days"):
        pending[name] = engine.soon(name, days)
    converting = int(_column(paths, "conversions").sum())
    return Found(
        converting=converting,
        conversions_without_touches=int(stats["conversions"] or 0) - converting,
        non_converting=int(_column(paths, "nulls").sum()),
        touches_after_conversion=int(stats["touches_after_conversion"] or 0),
        touches_too_early=int(stats["touches_too_early"] or 0),
        channels=tuple(str(n) for n in names),
        value=float(_column(paths, "value").sum()),
        paths=paths,
        pending=pending,
    )


def check(spec: RunSpec) -> None:
    """Refuse what the SQL engines cannot run, before any work."""
    unknown = [m for m in spec.models if m not in SQL_MODELS]
    if unknown:
        raise AttributionError(
            f"model(s) {', '.join(unknown)} cannot run on the SQL engines; "
            f"they run: {', '.join(SQL_MODELS)}"
        )
    if spec.transforms:
        raise AttributionError(
            "path transforms run in memory only: drop --transform or use --engine duckdb"
        )
    if "position_based" in spec.models:
        weights = spec.options.position
        if min(weights) < 0 or abs(sum(weights) - 1) > 1e-9:
            raise AttributionError("position weights must be non-negative and sum to 1")
    if "markov" in spec.models and not 1 <= spec.options.order <= markov.MAX_ORDER:
        raise AttributionError(f"Markov order must be 1 to {markov.MAX_ORDER}")
    if "time_decay" in spec.models and not spec.options.half_life_days > 0:
        raise AttributionError("half_life_days must be positive")


def run_models(engine: SqlEngine, spec: RunSpec, found: Found) -> SqlRun:
    """Every model of the spec on the engine's journeys (journeys() first)."""
    check(spec)
    names = check_names(spec.models)
    totals = found.paths if found.paths is not None else engine.query("models/path_totals")
    totals = sqlintervals.by_path(totals)
    paths = sqlintervals.path_file(totals, found.channels)
    result = SqlRun(found, _input_hash(totals, spec, found))
    by_path = sqlintervals.PathCredit(engine, spec, found.channels)
    per_journey: dict[str, Callable[[], pa.Table]] = {}
    for name in names:
        if name in pathshares.PER_JOURNEY:  # summed on the engine while the models run here
            engine.view("touch_credit", "models/time_decay")  # journey_touches' shares
            per_journey[name] = engine.soon("models/credit_cells")
    on_paths = [n for n in names if n not in pathshares.PER_JOURNEY]
    keys, largest = totals.column("path_key"), _column(totals, "largest_value")
    shares = pathshares.compute(paths, keys, largest, on_paths, spec.options)
    by_model = dict(zip(on_paths, shares.credits, strict=True))
    if on_paths:
        longest = int(paths.lengths.max(initial=1))
        engine.register("run_positions", pa.table({"pos": pa.array(range(1, longest + 1))}))
        engine.create("models/step_cells")
        engine.register("path_shares", shares.table)
        cells = engine.query("models/share_cells")
        for credit in shares.credits:
            mine = cells.filter(pc.equal(cells.column("model"), credit.model))
            result.cells[credit.model] = mine.drop_columns(["model"])
        by_path.add_shares(totals.column("path_key"), paths, shares)
    for name in names:
        if name in pathshares.PER_JOURNEY:
            cells = per_journey[name]()
            conv, value = _per_channel(cells, found.channels)
            credit = Credit(name, found.channels, conv, value, np.zeros(0), np.zeros(0))
            result.cells[name] = cells
            by_path.add(name)  # while touch_credit is this model's
        else:
            credit = by_model[name]
        result.credits.append(credit)
    result.intervals = sqlintervals.tables(spec, paths, by_path)
    return result


def _half_life(spec: RunSpec) -> float:
    """time_decay's half-life for journey_touches.sql (any positive one when not run)."""
    days = spec.options.half_life_days
    return days if "time_decay" in spec.models and days > 0 else 1.0


def _per_channel(cells: pa.Table, channels: tuple[str, ...]) -> tuple[NDArray[np.float64], ...]:
    """Per-channel sums of a model's cells, channels in the run's order."""
    code = pc.index_in(cells.column("channel"), pa.array(channels, pa.string())).to_numpy(
        zero_copy_only=False
    )
    n = len(channels)
    conv = np.bincount(code, cells.column("conversions").to_numpy(), n).astype(np.float64)
    value = np.bincount(code, cells.column("value").to_numpy(), n).astype(np.float64)
    return conv, value


def _column(table: pa.Table, name: str) -> NDArray[np.float64]:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def _input_hash(totals: pa.Table, spec: RunSpec, found: Found) -> str:
    """sha256 of the distinct paths with their counts and value in cents, the window figures
    and every option that shapes the results: the same on every SQL engine (exact integers,
    not sums of doubles, which differ in the last bits), prefixed sql: (an in-memory run
    hashes its journeys touch by touch)."""
    digest = hashlib.sha256()
    raw = totals.take(pc.sort_indices(totals, [("path_key", "ascending")]))
    # The values, not Arrow's buffers: their layout (chunks, validity bitmaps) differs by engine.
    keys = raw.column("path_key").cast(pa.string()).to_pylist()
    digest.update("\x1f".join(str(k) for k in keys).encode())
    for name in ("conversions", "nulls", "value_cents"):  # exact integers on every engine
        column = raw.column(name).cast(pa.int64())
        digest.update(np.asarray(column.to_numpy(zero_copy_only=False), np.int64).tobytes())
    figures = replace(found, value=0.0)  # a sum of doubles; the cents above hold the value
    digest.update(repr((figures, spec.models, spec.options, spec.lookback_days)).encode())
    return "sql:" + digest.hexdigest()


@dataclass(frozen=True)
class StoredRun:
    """A run computed on an engine and stored in the warehouse."""

    run_id: int
    input_hash: str
    found: Found
    credits: list[Credit]
    seconds: float


def _by(cells: pa.Table, model: str, keys: list[str]) -> pa.Table:
    """A model's cells summed by keys, with the model's name first."""
    summed = cells.group_by(keys).aggregate([("conversions", "sum"), ("value", "sum")])
    summed = summed.rename_columns([*keys, "conversions", "value"]).sort_by(
        [(k, "ascending") for k in keys]
    )
    return pa.table(
        {
            "model": pa.array([model] * summed.num_rows, pa.string()),
            **{name: summed.column(name) for name in summed.column_names},
        }
    )


def store(
    wh: Warehouse,
    engine: SqlEngine,
    spec: RunSpec,
    result: SqlRun,
    started: float,
    engine_name: str,
) -> StoredRun:
    """Bring the run's small tables back and store them as a run of the warehouse: its credit
    per channel, per channel and day, per source and day, its conversions and the channels
    their journeys touched, its leads and spend by day (no per-conversion credit)."""
    window = {"run_id": 0, "start": spec.start, "end": spec.end}

    def rows_of(name: str, params: dict[str, object] | None = None) -> pa.Table:
        started = result.found.pending.get(name)
        return started() if started is not None else engine.query(name, params)

    rows = {
        **sqlconversions.tables(rows_of("journeys/converting_rows"), result.found.channels),
        "rows:runs/insert_lead_days": rows_of("runs/insert_lead_days", window),
        "rows:runs/insert_spend_days": rows_of("runs/insert_spend_days", window),
    }
    names = check_names(spec.models)
    row = runs.run_row(spec, names, result.input_hash, result.found, engine_name)
    writer = runs.Writer(wh, (spec.start, spec.end), days=())
    try:
        writer.hand(rows)
        for model, cells in result.cells.items():
            writer.hand(
                {
                    "run_channel_day_credit": _by(cells, model, ["channel", "day"]),
                    "run_source_credit": _by(cells, model, ["source_id", "channel", "day"]),
                }
            )
        writer.hand({"run_credit_rows": runs.credit_rows(result.credits)})
        writer.hand(result.intervals)
    except BaseException as exc:
        writer.abort(exc)
        raise
    seconds = time.perf_counter() - started
    run_id = writer.finish(row, seconds)
    return StoredRun(run_id, result.input_hash, result.found, result.credits, seconds)
