"""An attribution run whose set work is the portable SQL of sql/ on any SqlEngine (Spark for
data beyond one machine; DuckDB in the tests that hold both engines to the same answers).

The engine maps channels, builds the journeys and computes each model's credit per (channel,
lead source, day); only small tables come back: those cells, Markov's transitions, the
distinct channel sets and paths, and the run's per-conversion and per-day rows. Exact Markov
and Shapley do their linear algebra here with numpy / scipy on the transitions and the channel
sets (the same functions the in-memory engine uses), and hand their shares to the engine as
small tables, which the engine spreads over the touches."""

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

from attribution.engine import runs, sqlintervals
from attribution.engine.runs import RunSpec
from attribution.engine.sqlengine import SqlEngine
from attribution.errors import AttributionError
from attribution.models import ModelOptions, check_names, heuristic, markov, shapley
from attribution.models.paths import Paths
from attribution.models.result import Credit
from attribution.warehouse.connection import Warehouse


def _preset(name: str) -> Callable[[ModelOptions], dict[str, object]]:
    return lambda _: _position(heuristic.POSITION_PRESETS[name])


# Models whose credit is a statement of sql/models/ (with the options it takes).
_STATEMENT_MODELS: dict[str, tuple[str, Callable[[ModelOptions], dict[str, object]]]] = {
    "first_touch": ("models/first_touch", lambda o: {}),
    "last_touch": ("models/last_touch", lambda o: {}),
    "last_non_direct": ("models/last_non_direct", lambda o: {}),
    "linear": ("models/linear", lambda o: {}),
    "position_based": ("models/position_based", lambda o: _position(o.position)),
    "time_decay": ("models/time_decay", lambda o: {"half_life_days": o.half_life_days}),
    **{name: ("models/position_based", _preset(name)) for name in heuristic.POSITION_PRESETS},
}
SQL_MODELS = (*_STATEMENT_MODELS, "markov", "shapley", "fractribution")


def _position(weights: tuple[float, float, float]) -> dict[str, object]:
    first, middle, last = (float(w) for w in weights)
    if min(first, middle, last) < 0 or abs(first + middle + last - 1) > 1e-9:
        raise AttributionError("position weights must be non-negative and sum to 1")
    return {"first": first, "middle": middle, "last": last}


@dataclass(frozen=True)
class Found:
    """The run's journeys as counted by the engine (what attribution_runs records)."""

    converting: int
    conversions_without_touches: int
    non_converting: int
    touches_after_conversion: int
    touches_too_early: int
    channels: tuple[str, ...]
    value: float


@dataclass
class SqlRun:
    """What a run computed on an engine: per model, its credit per channel and its cells."""

    found: Found
    input_hash: str
    credits: list[Credit] = field(default_factory=list)
    cells: dict[str, pa.Table] = field(default_factory=dict)  # model -> (channel, source, day)
    intervals: dict[str, pa.Table] = field(default_factory=dict)  # engine/sqlintervals.py


def journeys(engine: SqlEngine, spec: RunSpec) -> Found:
    """Map channels and build the journeys on the engine (its touches, leads, revenue_events,
    lead_sources and channel_rules must be there)."""
    lookback = timedelta(days=spec.lookback_days)
    window = {"lookback": lookback, "end": spec.end, "window_from": spec.end - lookback}
    engine.register("run_kinds", pa.table({"kind": pa.array(list(spec.kinds), pa.string())}))
    engine.register(
        "run_direct", pa.table({"channel": pa.array(list(spec.options.direct), pa.string())})
    )
    engine.create(
        "channels/map_touches",
        {"since": spec.start - lookback, "until": spec.end, "leads_since": None},
    )
    engine.create("journeys/channels")
    engine.create("journeys/conversions", {"start": spec.start, "end": spec.end})
    engine.create("journeys/journey_touches", window)
    engine.create("models/journey_steps")
    engine.create("models/run_journeys")
    engine.create("journeys/journey_ids")
    names = engine.query("journeys/channel_names").column("channel").to_pylist()
    counts = engine.query("models/journey_counts").to_pylist()[0]
    stats = engine.query("journeys/window_stats", {"lookback": lookback}).to_pylist()[0]
    totals = engine.query("models/set_totals")
    converting = int(counts["converting"] or 0)
    return Found(
        converting=converting,
        conversions_without_touches=int(stats["conversions"] or 0) - converting,
        non_converting=int(counts["non_converting"] or 0),
        touches_after_conversion=int(stats["touches_after_conversion"] or 0),
        touches_too_early=int(stats["touches_too_early"] or 0),
        channels=tuple(str(n) for n in names),
        value=float(pc.sum(totals.column("value")).as_py() or 0.0),
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
    for name in spec.models:
        if name in _STATEMENT_MODELS:
            _STATEMENT_MODELS[name][1](spec.options)
    if "markov" in spec.models and not 1 <= spec.options.order <= markov.MAX_ORDER:
        raise AttributionError(f"Markov order must be 1 to {markov.MAX_ORDER}")


def run_models(engine: SqlEngine, spec: RunSpec, found: Found) -> SqlRun:
    """Every model of the spec on the engine's journeys (journeys() first)."""
    check(spec)
    result = SqlRun(found, _input_hash(engine, spec, found))
    by_path = sqlintervals.PathCredit(engine, spec, found.channels)
    for name in spec.models:
        if name in _STATEMENT_MODELS:
            statement, params = _STATEMENT_MODELS[name]
            engine.view("touch_credit", statement, params(spec.options))
            cells = engine.query("models/credit_cells")
            conv, value = _per_channel(cells, found.channels)
            credit = Credit(name, found.channels, conv, value, np.zeros(0), np.zeros(0))
        elif name == "markov":
            credit, cells = _markov(engine, spec.options.order, found)
        elif name == "shapley":
            credit, cells = _shapley(engine, found)
        else:
            credit, cells = _fractribution(engine, found)
        result.credits.append(credit)
        result.cells[credit.model] = cells
        by_path.add(credit.model, name)  # while touch_credit is this model's
    result.intervals = sqlintervals.tables(engine, spec, found.channels, by_path)
    return result


def _per_channel(cells: pa.Table, channels: tuple[str, ...]) -> tuple[NDArray[np.float64], ...]:
    """Per-channel sums of a model's cells, channels in the run's order."""
    code = pc.index_in(cells.column("channel"), pa.array(channels, pa.string())).to_numpy(
        zero_copy_only=False
    )
    n = len(channels)
    conv = np.bincount(code, cells.column("conversions").to_numpy(), n).astype(np.float64)
    value = np.bincount(code, cells.column("value").to_numpy(), n).astype(np.float64)
    return conv, value


def _sets(engine: SqlEngine, n_channels: int) -> tuple[pa.Table, NDArray[np.bool_]]:
    """The distinct channel sets, sorted as the in-memory engine sorts them, and their matrix."""
    totals = engine.query("models/set_totals")
    keys = totals.column("set_key")
    codes = pc.cast(pc.list_flatten(pc.split_pattern(keys, ",")), pa.int64()).to_numpy()
    sizes = pc.list_value_length(pc.split_pattern(keys, ",")).to_numpy()
    rows = np.repeat(np.arange(len(keys)), sizes)
    matrix = np.zeros((len(keys), n_channels), dtype=bool)
    matrix[rows, codes] = True
    if n_channels <= 62:  # as Paths.channel_sets: by the set's bit mask
        order = np.argsort((matrix * (np.int64(1) << np.arange(n_channels))).sum(axis=1))
    else:
        order = np.lexsort(matrix.T[::-1])
    return totals.take(pa.array(order)), matrix[order]


def _column(table: pa.Table, name: str) -> NDArray[np.float64]:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def _spread(
    engine: SqlEngine, sets: pa.Table, matrix: NDArray[np.bool_], conv: object, value: object
) -> pa.Table:
    """Hand per-(set, channel) shares to the engine; its credit cells."""
    cell_set, cell_channel = np.nonzero(matrix)
    engine.register(
        "set_shares",
        pa.table(
            {
                "set_key": sets.column("set_key").take(pa.array(cell_set)),
                "channel_code": pa.array(cell_channel.astype(np.int32)),
                "conversion_share": pa.array(np.asarray(conv, dtype=np.float64)),
                "value_share": pa.array(np.asarray(value, dtype=np.float64)),
            }
        ),
    )
    engine.view("touch_credit", "models/set_credit")
    return engine.query("models/credit_cells")


def _shapley(engine: SqlEngine, found: Found) -> tuple[Credit, pa.Table]:
    sets, matrix = _sets(engine, len(found.channels))
    conv, value = _column(sets, "conversions"), _column(sets, "value")
    shares = shapley.set_shares(matrix, conv, _column(sets, "nulls"), value)
    cells = _spread(engine, sets, matrix, shares[matrix], shares[matrix])
    credit = Credit(
        "shapley", found.channels, shares.T @ conv, shares.T @ value, np.zeros(0), np.zeros(0)
    )
    return credit, cells


def _markov(engine: SqlEngine, order: int, found: Found) -> tuple[Credit, pa.Table]:
    rows = engine.query("models/markov_transitions", {"order": order})
    n_ch = len(found.channels)
    counts = markov.from_rows(
        rows.column("from_state").to_pylist(),
        rows.column("to_state").to_pylist(),
        _column(rows, "journeys"),
        _column(rows, "conversions"),
        _column(rows, "value"),
        n_ch,
        order,
    )
    r = markov.removal(markov.Chain(counts), n_ch, float(found.converting), found.value)
    sets, matrix = _sets(engine, n_ch)
    cell_set, cell_channel = np.nonzero(matrix)
    fitted = []
    for effect, rows_of, largest, columns in (
        (r.removal_conversions, "conversions", "largest_conversion", r.conversions),
        (r.removal_value, "value", "largest_value", r.value),
    ):
        fitted.append(
            markov.fit_shares(
                effect[cell_channel],
                cell_set,
                cell_channel,
                _column(sets, rows_of),
                columns,
                _column(sets, largest),
            )
        )
    cells = _spread(engine, sets, matrix, fitted[0], fitted[1])
    credit = Credit(
        markov.model_name(order),
        found.channels,
        r.conversions,
        r.value,
        np.zeros(0),
        np.zeros(0),
        removal_conversions=r.removal_conversions,
        removal_value=r.removal_value,
    )
    return credit, cells


def _fractribution(engine: SqlEngine, found: Found) -> tuple[Credit, pa.Table]:
    totals = engine.query("models/path_totals")
    steps = pc.split_pattern(totals.column("path_key"), ">")
    lengths = pc.list_value_length(steps).to_numpy().astype(np.int64)
    paths = Paths(
        channels=found.channels,
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        codes=pc.cast(pc.list_flatten(steps), pa.int64()).to_numpy().astype(np.int64),
        conversions=_column(totals, "conversions"),
        value=_column(totals, "value"),
        nulls=_column(totals, "nulls"),
    )
    credit = shapley.fractribution(paths)
    weights = shapley.fractribution_weights(paths)
    engine.register(
        "path_shares",
        pa.table(
            {
                "path_key": totals.column("path_key").take(pa.array(paths.path_of_touch)),
                "pos": pa.array((paths.position + 1).astype(np.int64)),
                "share": pa.array(weights),
            }
        ),
    )
    engine.view("touch_credit", "models/path_credit")
    cells = engine.query("models/credit_cells")
    return Credit(
        "fractribution", found.channels, credit.conversions, credit.value, np.zeros(0), np.zeros(0)
    ), cells


def _input_hash(engine: SqlEngine, spec: RunSpec, found: Found) -> str:
    """sha256 of the distinct paths with their counts and value in cents, the window figures
    and every option that shapes the results: the same on every SQL engine (exact integers,
    not sums of doubles, which differ in the last bits), prefixed sql: (an in-memory run
    hashes its journeys touch by touch)."""
    digest = hashlib.sha256()
    raw = engine.query("models/path_totals")
    raw = raw.take(pc.sort_indices(raw, [("path_key", "ascending")]))
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
    rows = {
        "rows:runs/insert_run_conversions": engine.query("runs/insert_run_conversions", window),
        "run_journey_channels": engine.query("journeys/journey_channel_rows"),
        "rows:runs/insert_lead_days": engine.query("runs/insert_lead_days", window),
        "rows:runs/insert_spend_days": engine.query("runs/insert_spend_days", window),
    }
    names = check_names(spec.models)
    row = runs.run_row(spec, names, result.input_hash, result.found, engine_name)
    writer = runs.Writer(wh, row, finish=())
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
    run_id = writer.finish(seconds)
    return StoredRun(run_id, result.input_hash, result.found, result.credits, seconds)
