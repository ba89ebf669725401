"""Attribution runs from the warehouse: journeys, transforms, models, stored with their inputs."""

from __future__ import annotations

import contextlib
import hashlib
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from attribution import clock
from attribution.engine import arrays, heap, intervals, journeys
from attribution.models import DEFAULT_MODELS, ModelOptions, check_names, transforms
from attribution.models.bootstrap import BootstrapSpec
from attribution.models.paths import Paths, dense_ids
from attribution.models.result import Credit
from attribution.models.spread import ByPath, Shares
from attribution.warehouse.connection import Warehouse
from attribution.warehouse.statements import fill, quote_ident


@dataclass(frozen=True)
class RunSpec:
    """What a run computes: the conversions window, lookback, models and their options."""

    start: datetime
    end: datetime
    lookback_days: float = 30.0
    models: tuple[str, ...] = DEFAULT_MODELS
    transforms: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ("won",)
    options: ModelOptions = field(default_factory=ModelOptions)
    intervals: BootstrapSpec | None = None  # None: no intervals stored (engine/intervals.py)
    interval_periods: tuple[tuple[datetime, datetime], ...] = ()  # also inside the window
    placebo: bool = False  # with intervals: the placebo check too (a report's run)


_EMPTY = np.zeros(0)


@dataclass(frozen=True)
class RunResult:
    """A stored run; its credits carry per-channel totals (the per-touch credit is stored as
    per-conversion and per-source credit, not kept)."""

    run_id: int
    input_hash: str
    journeys: journeys.Journeys
    credits: list[Credit]
    seconds: float


class Stored(Protocol):
    """A stored run, whichever engine computed it."""

    @property
    def run_id(self) -> int: ...
    @property
    def input_hash(self) -> str: ...
    @property
    def seconds(self) -> float: ...


def input_hash(paths: Paths, spec: RunSpec) -> str:
    """sha256 of the journeys the models read and of every option that shapes the results."""
    digest = hashlib.sha256()
    for array in (paths.offsets, paths.codes, paths.conversions, paths.value, paths.nulls):
        digest.update(np.ascontiguousarray(array).tobytes())
    if paths.gaps is not None:
        digest.update(np.ascontiguousarray(paths.gaps).tobytes())
    digest.update(repr((paths.channels, spec.models, spec.transforms, spec.options)).encode())
    return digest.hexdigest()


def credit_rows(credits: list[Credit]) -> pa.Table:
    """Each model's totals per channel (per model and channel: a few hundred rows at most)."""

    def removal(effects: list[NDArray[np.float64] | None]) -> pa.Array:
        sizes = [len(c.channels) for c in credits]
        known = [np.full(n, e is not None) for n, e in zip(sizes, effects, strict=True)]
        values = [np.zeros(n) if e is None else e for n, e in zip(sizes, effects, strict=True)]
        valid = np.concatenate([np.zeros(0, bool), *known])
        return arrays.column(np.concatenate([_EMPTY, *values]), valid)

    return arrays.table(
        {
            "model": arrays.strings([c.model for c in credits for _ in c.channels]),
            "channel": arrays.strings([name for c in credits for name in c.channels]),
            "conversions": np.concatenate([_EMPTY, *(c.conversions for c in credits)]),
            "value": np.concatenate([_EMPTY, *(c.value for c in credits)]),
            "removal_effect_conversions": removal([c.removal_conversions for c in credits]),
            "removal_effect_value": removal([c.removal_value for c in credits]),
        }
    )


class _DayKeys:
    """Numbers for (group, day of conversion) of the converting touches: dense, so that a
    model's credit per group and day is one bincount."""

    def __init__(self, group: NDArray[np.int64], day: NDArray[np.int64], n_days: int) -> None:
        size = (int(group.max(initial=0)) + 1) * n_days
        keys, self.of_touch = dense_ids(group * n_days + day, size)
        self.group, self.day = keys // n_days, keys % n_days

    def sums(self, per_touch: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.bincount(self.of_touch, per_touch, len(self.group)).astype(np.float64)


def conversion_tables(found: journeys.Journeys, by_path: ByPath) -> dict[str, pa.Table]:
    """The run's conversions: number, rank, journey length and distinct path (needs no
    drill-down keys, so the writer stores them while those are computed)."""
    n = found.converting
    return {
        "run_journey_ids": arrays.table(
            {
                "journey": np.arange(n, dtype=np.int32),
                "conversion_rank": found.conversion_ranks,
                "touches": found.paths.lengths[:n].astype(np.int32),
                "path_no": by_path.group[:n].astype(np.int32),
            }
        )
    }


class DrillDown:
    """Each model's credit per (conversion, channel), non-zero only, per (channel, day of
    conversion) and per (lead source, day of conversion), summed from its per-touch credit of
    the converting journeys with bincount (no loop over rows); and which channels each
    converting journey touched.

    Models are added one at a time, so that only one model's per-touch credit is alive; their
    tables are written by a single writer thread while the next model computes."""

    def __init__(self, paths: Paths, found: journeys.Journeys, by_path: ByPath) -> None:
        self.found, self.by_path = found, by_path
        # Converting journeys come first: their touches are a prefix, read as views, not copies.
        self.keep = slice(0, int(paths.offsets[found.converting]))
        self.n_ch = max(paths.n_channels, 1)
        keep = self.keep
        codes = paths.codes[keep]
        pair_keys = paths.path_of_touch[keep] * self.n_ch + codes  # Paths.pair_keys would stay
        pairs, pair_of_touch = dense_ids(pair_keys, found.converting * self.n_ch)
        del pair_keys
        self.pairs, self.pair_of_touch = pairs, pair_of_touch
        self.touches_per_pair = np.bincount(self.pair_of_touch, minlength=len(pairs))
        sources = paths.sources[keep] if paths.sources is not None else np.full(keep.stop, -1)
        unsourced = (sources == -1).astype(np.float64)
        self.unsourced_per_pair = np.bincount(self.pair_of_touch, unsourced, len(pairs))
        del unsourced
        self.lengths = paths.lengths[: found.converting]
        days = found.converted_at.astype("datetime64[D]").astype(np.int64)  # since 1970-01-01
        self.first_day = int(days.min(initial=0))
        day_of_touch = np.repeat(days - self.first_day, self.lengths)
        n_days = int(day_of_touch.max(initial=0)) + 1
        self.by_source = _DayKeys((sources + 1) * self.n_ch + codes, day_of_touch, n_days)
        self.by_channel = _DayKeys(codes, day_of_touch, n_days)  # above: source 0 is none
        self.channel_names = arrays.strings(paths.channels)

    def _channel(self, codes: NDArray[np.int64]) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(
            arrays.column(codes.astype(np.int32)), self.channel_names
        )

    def _day(self, keys: _DayKeys) -> NDArray[np.datetime64]:
        dates: NDArray[np.datetime64] = (self.first_day + keys.day).astype("datetime64[D]")
        return dates

    def journey_tables(self) -> dict[str, pa.Table]:
        """Which channels each converting journey touched."""
        return {
            "run_journey_channels": arrays.table(
                {
                    "conversion_no": (self.pairs // self.n_ch).astype(np.int32),
                    "channel": self._channel(self.pairs % self.n_ch),
                    "touches": self.touches_per_pair.astype(np.int32),
                    "touches_without_source": self.unsourced_per_pair.astype(np.int32),
                }
            ),
        }

    def _pair_credit(self, credit: Credit) -> dict[str, pa.Table]:
        """A model's non-zero credit per (conversion, channel)."""
        tc, tv = credit.touch_conversions[self.keep], credit.touch_value[self.keep]
        conv = np.bincount(self.pair_of_touch, tc, len(self.pairs))
        value = np.bincount(self.pair_of_touch, tv, len(self.pairs))
        nonzero = (conv != 0) | (value != 0)
        return {
            "run_pair_credit": arrays.table(
                {
                    "model": arrays.constant(credit.model, int(nonzero.sum())),
                    "conversion_no": (self.pairs[nonzero] // self.n_ch).astype(np.int32),
                    "channel": self._channel(self.pairs[nonzero] % self.n_ch),
                    "conversions": conv[nonzero],
                    "value": value[nonzero],
                }
            )
        }

    def _path_credit(self, model: str, shares: Shares) -> dict[str, pa.Table]:
        """A model's non-zero credit per (distinct path of a conversion, channel): per
        conversion, and per unit of value."""
        d = self.by_path.distinct
        touched = d.conversions[d.path_of_touch] > 0  # paths with a conversion only
        keys = d.pair_keys[touched]
        pairs, pair_of_touch = dense_ids(keys, d.n_paths * self.n_ch)
        conv = np.bincount(pair_of_touch, shares.conversions[touched], len(pairs))
        value = np.bincount(pair_of_touch, shares.value[touched], len(pairs))
        nonzero = (conv != 0) | (value != 0)
        return {
            "run_path_credit": arrays.table(
                {
                    "model": arrays.constant(model, int(nonzero.sum())),
                    "path_no": (pairs[nonzero] // self.n_ch).astype(np.int32),
                    "channel": self._channel(pairs[nonzero] % self.n_ch),
                    "conversions": conv[nonzero],
                    "value": value[nonzero],
                }
            )
        }

    def credit_tables(self, credit: Credit, shares: Shares | None) -> dict[str, pa.Table]:
        """One model's credit per (conversion, channel) - per distinct path when the model has
        shares per path -, per (channel, day) and per (source, channel, day)."""
        tc, tv = credit.touch_conversions[self.keep], credit.touch_value[self.keep]
        src, chan = self.by_source, self.by_channel
        per_conversion = (
            self._pair_credit(credit) if shares is None else self._path_credit(credit.model, shares)
        )
        return {
            **per_conversion,
            "run_channel_day_credit": arrays.table(
                {
                    "model": arrays.constant(credit.model, len(chan.group)),
                    "channel": self._channel(chan.group),
                    "day": self._day(chan),
                    "conversions": chan.sums(tc),
                    "value": chan.sums(tv),
                }
            ),
            "run_source_credit": arrays.table(
                {
                    "model": arrays.constant(credit.model, len(src.group)),
                    "source_id": src.group // self.n_ch - 1,
                    "channel": self._channel(src.group % self.n_ch),
                    "day": self._day(src),
                    "conversions": src.sums(tc),
                    "value": src.sums(tv),
                }
            ),
        }


# The run's leads and spend by day, from leads, spend and this connection's run_key_channels.
DAY_STATEMENTS = ("runs/insert_lead_days_keyed", "runs/insert_spend_days")
_STATEMENTS = {
    "run_journey_ids": "runs/insert_run_conversions_keyed",
    "run_journey_channels": "runs/insert_journey_channels",
    "run_pair_credit": "runs/insert_conversion_credits",
    "run_path_credit": "runs/insert_path_credits",
    "run_source_credit": "runs/insert_source_credits",
    "run_channel_day_credit": "runs/insert_channel_day_credits",
    "run_credit_rows": "runs/insert_channel_credits",
    "run_interval_scopes": "runs/insert_run_intervals",
    "run_channel_intervals": "runs/insert_channel_intervals",
    "run_placebo_rows": "runs/insert_placebo",
}


def _store(cur: Warehouse, run_id: int, tables: dict[str, pa.Table]) -> None:
    """Insert registered Arrow tables through their statements (see _STATEMENTS). A name
    "rows:STATEMENT" holds the rows another engine computed for an INSERT statement's query
    (its first column the run id): they go into that statement's table."""
    for name, table in tables.items():
        view = "engine_rows" if name.startswith("rows:") else name
        cur.con.register(view, table)
        try:
            if view == "engine_rows":
                # Only another engine's rows come here: sqlglot is imported for them alone.
                from attribution.engine import portable

                target, columns = portable.insert_target(name.removeprefix("rows:"))
                values = ", ".join(quote_ident(c) for c in table.column_names[1:])
                names = f" ({', '.join(quote_ident(c) for c in columns)})" if columns else ""
                sql = fill(
                    "runs/insert_engine_rows",
                    target=quote_ident(target),
                    columns=names,
                    values=values,
                )
                cur.execute_text(sql, {"run_id": run_id}, name=name)
            else:
                cur.execute(_STATEMENTS[name], {"run_id": run_id})
        finally:
            with contextlib.suppress(duckdb.Error):  # already gone, or the batch failed
                cur.con.unregister(view)


@dataclass(frozen=True)
class _Done:
    """The last item a writer is handed: the run's attribution_runs row, its seconds set."""

    row: dict[str, object]


class Writer:
    """Stores a run from a thread of its own, so that DuckDB writes while numpy computes the
    next model (both release the GIL). The whole run is one transaction on that thread: it
    takes the run's id, stores the run's days at once (they need only the window), then each
    handed table, and the attribution_runs row last, when the caller knows it (finish). Handed
    tables queue one deep, so at most two models' tables are alive. A failure on either side
    rolls the run back: the writer's is raised by the next hand(), the caller's by finish()."""

    def __init__(
        self,
        cur: Warehouse,
        window: tuple[datetime, datetime],
        days: tuple[str, ...] = DAY_STATEMENTS,
    ) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=1)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="run-writer")
        self._days = days  # statements over the run's window, from the warehouse alone
        self._future = self._pool.submit(self._write, cur, window)

    def _write(self, cur: Warehouse, window: tuple[datetime, datetime]) -> int:
        with cur.writing("data"), cur.transaction():
            run_id = int(cur.scalar("runs/next_run_id"))
            for statement in self._days:
                cur.execute(statement, {"run_id": run_id, "start": window[0], "end": window[1]})
            while isinstance(item := self._queue.get(), dict):
                _store(cur, run_id, item)
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, _Done)
            cur.execute("runs/insert_run", {**item.row, "run_id": run_id})
        return run_id

    def hand(self, item: object) -> None:
        while True:
            if self._future.done():
                self._future.result()  # raises the writer's error
                raise RuntimeError("the run's writer stopped early")
            with contextlib.suppress(queue.Full):
                self._queue.put(item, timeout=0.05)
                return

    def finish(self, row: dict[str, object], seconds: float) -> int:
        """Record the run (its attribution_runs row, with its seconds), commit, and return the
        run's id."""
        try:
            self.hand(_Done({**row, "seconds": seconds}))
            return self._future.result()
        finally:
            self._pool.shutdown()

    def abort(self, error: BaseException) -> None:
        """Roll the run back after the caller's error (the caller raises it)."""
        with contextlib.suppress(Exception):  # the writer may have failed too: the caller's wins
            self.hand(error)
            self._future.result()
        self._pool.shutdown()


def run(wh: Warehouse, spec: RunSpec) -> RunResult:
    """Compute every model of the spec over the warehouse's journeys and store the run in one
    transaction, written while the models compute (see Writer)."""
    names = check_names(spec.models)
    for transform in spec.transforms:  # refused before any work
        transforms.parse(transform)
    started = time.perf_counter()
    with heap.reusing(), wh.cursor() as cur:
        found = journeys.build(
            cur, start=spec.start, end=spec.end, lookback_days=spec.lookback_days, kinds=spec.kinds
        )
        writer = Writer(cur, (spec.start, spec.end))  # the run's days: stored while it computes
        credits = []
        try:
            paths = transforms.apply(found.paths, list(spec.transforms))
            by_path = ByPath(paths)
            digest = input_hash(paths, spec)
            writer.hand(conversion_tables(found, by_path))  # written while the keys are made
            drill = DrillDown(paths, found, by_path)
            held = intervals.held(paths, found.converted_at, spec)
            writer.hand(drill.journey_tables())
            for name in names:  # one model at a time: its per-touch credit lives only this long
                credit, shares = by_path.credit(name, spec.options)
                writer.hand(drill.credit_tables(credit, shares))
                held.add(credit)
                credits.append(replace(credit, touch_conversions=_EMPTY, touch_value=_EMPTY))
            writer.hand({"run_credit_rows": credit_rows(credits)})
            writer.hand(intervals.tables(paths, names, spec, held))
        except BaseException as exc:
            writer.abort(exc)
            raise
        seconds = time.perf_counter() - started
        run_id = writer.finish(run_row(spec, names, digest, found), seconds)
    return RunResult(run_id, digest, found, credits, seconds)


class Counted(Protocol):
    """A run's journey counts, as either engine finds them."""

    @property
    def converting(self) -> int: ...
    @property
    def conversions_without_touches(self) -> int: ...
    @property
    def non_converting(self) -> int: ...
    @property
    def touches_too_early(self) -> int: ...
    @property
    def touches_after_conversion(self) -> int: ...


def run_row(
    spec: RunSpec, names: list[str], digest: str, found: Counted, engine: str = "duckdb"
) -> dict[str, object]:
    """The attribution_runs row of a run (its seconds are set once it is stored)."""
    return {
        "created_at": clock.utc_now(),
        "window_start": spec.start,
        "window_end": spec.end,
        "lookback_days": spec.lookback_days,
        "models": names,
        "transforms": list(spec.transforms),
        "conversion_kinds": list(spec.kinds),
        "direct_channels": list(spec.options.direct),
        "markov_order": spec.options.order,
        "half_life_days": spec.options.half_life_days,
        "input_hash": digest,
        "conversions": found.converting,
        "conversions_without_touches": found.conversions_without_touches,
        "non_converting": found.non_converting,
        "touches_too_early": found.touches_too_early,
        "touches_after_conversion": found.touches_after_conversion,
        "seconds": 0.0,
        "engine": engine,
    }
