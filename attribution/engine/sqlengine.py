"""The two engines that run the portable statements of sql/: DuckDB (this warehouse's
connection) and Spark (a session, local or a cluster's). Each runs a statement by name, holds
named tables and views, and hands results back as Arrow tables; nothing else differs."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import duckdb
import pyarrow as pa

from attribution.engine import channels, portable
from attribution.errors import AttributionError, first_line
from attribution.warehouse.connection import Warehouse

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

Params = dict[str, object]
T = TypeVar("T")


class SqlEngine(Protocol):
    """What the SQL-model run needs of an engine."""

    dialect: portable.Dialect

    def create(self, name: str, params: Params | None = None, *, keep: bool = True) -> None:
        """Run a CREATE ... AS statement: a table (computed once, kept) or a view; keep=False:
        a table that one later statement reads may stay a plan (Spark: not computed apart)."""

    def view(self, view: str, name: str, params: Params | None = None) -> None:
        """Name a query statement's rows as a view (replacing any of that name)."""

    def query(self, name: str, params: Params | None = None) -> pa.Table:
        """A query statement's rows (or an INSERT statement's query rows), as Arrow."""

    def soon(self, name: str, params: Params | None = None) -> Callable[[], pa.Table]:
        """A query statement started now, its rows handed over when called: it reads the tables
        and views as they are now (Spark runs it beside the statements that follow)."""

    def register(self, view: str, table: pa.Table) -> None:
        """Hold an Arrow table under a name the statements read."""

    def close(self) -> None:
        """Drop what the engine holds for the run."""


class DuckDBEngine:
    """The statements on a warehouse connection (a cursor of its own, for one run)."""

    dialect: portable.Dialect = "duckdb"

    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh
        self._registered: list[str] = []
        if not channels.rules_loaded(wh):  # the warehouse's tables are there; the rules too
            channels.load_default_rules(wh)

    def create(self, name: str, params: Params | None = None, *, keep: bool = True) -> None:
        self.wh.execute_text(portable.render(name, "duckdb", params), name=name)

    def view(self, view: str, name: str, params: Params | None = None) -> None:
        self.wh.temp_view(view, name, params)

    def query(self, name: str, params: Params | None = None) -> pa.Table:
        _, _, sql = portable.parts(name, "duckdb", params)
        return self.wh.arrow_text(sql, name=name)

    def soon(self, name: str, params: Params | None = None) -> Callable[[], pa.Table]:
        rows = self.query(name, params)  # one connection: run now
        return lambda: rows

    def register(self, view: str, table: pa.Table) -> None:
        self.wh.con.complete()  # a statement's unread rows would block registering
        self.wh.con.register(view, table)
        self._registered.append(view)

    def close(self) -> None:
        for view in self._registered:
            with contextlib.suppress(duckdb.Error):
                self.wh.con.unregister(view)
        self._registered.clear()


class SparkEngine:
    """The statements on a Spark session, transpiled by sqlglot; tables are computed once
    (local checkpoints) and dropped with the views by close()."""

    dialect: portable.Dialect = "spark"

    def __init__(self, session: SparkSession) -> None:
        self.session = session
        self._cached: list[DataFrame] = []
        self._views: list[str] = []
        self._pool: ThreadPoolExecutor | None = None

    def _frame(self, name: str, sql: str) -> DataFrame:
        return _on_spark(name, lambda: self.session.sql(sql))

    def create(self, name: str, params: Params | None = None, *, keep: bool = True) -> None:
        kind, target, sql = portable.parts(name, "spark", params)
        if kind not in ("table", "view"):
            raise AttributionError(f"sql/{name}.sql creates no table or view")
        frame = self._frame(name, sql)
        if kind == "table" and keep:
            # Computed now and cut from its lineage: later statements read the rows, not the
            # plan that made them (a persisted frame's plan is re-planned, and re-run whenever
            # a later plan fails to match it).
            planned = frame
            frame = _on_spark(name, lambda: planned.localCheckpoint(eager=True))
            self._cached.append(frame)
        frame.createOrReplaceTempView(target)
        self._views.append(target)

    def view(self, view: str, name: str, params: Params | None = None) -> None:
        kind, _, sql = portable.parts(name, "spark", params)
        if kind != "select":
            raise AttributionError(f"sql/{name}.sql is not a query; it cannot be a view")
        self._frame(name, sql).createOrReplaceTempView(view)
        self._views.append(view)

    def query(self, name: str, params: Params | None = None) -> pa.Table:
        _, _, sql = portable.parts(name, "spark", params)
        table: pa.Table = _on_spark(name, lambda: self._frame(name, sql).toArrow())
        return table

    def soon(self, name: str, params: Params | None = None) -> Callable[[], pa.Table]:
        # Planned here, so that it reads the views as they are now; run in a thread: a small
        # statement is mostly the driver's planning and a job or two of few tasks, which leave
        # the second core idle unless another statement's tasks run beside them.
        _, _, sql = portable.parts(name, "spark", params)
        frame = self._frame(name, sql)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="spark-statement")
        rows = self._pool.submit(_on_spark, name, lambda: self._beside(frame))
        return rows.result

    def _beside(self, frame: DataFrame) -> pa.Table:
        """A frame's rows, its jobs in a pool of their own: with fair scheduling (a classic
        session's default here) the statements that the run waits for get their share of the
        cores instead of queueing behind these."""
        if not _is_connect(self.session):
            self.session.sparkContext.setLocalProperty("spark.scheduler.pool", "beside")
        table: pa.Table = frame.toArrow()
        return table

    def register(self, view: str, table: pa.Table) -> None:
        frame = self.session.createDataFrame(_spark_ready(table))
        frame.createOrReplaceTempView(view)
        self._views.append(view)

    def read_parquet(self, view: str, path: str) -> None:
        """Name a Parquet file or folder as a view."""
        try:
            frame = self.session.read.parquet(path)
        except Exception as exc:
            raise AttributionError(f"Spark could not read {path}: {first_line(exc)}") from exc
        # Not cached: a run reads each column it needs of the touches twice at most (the
        # mapping keys, then the journeys), and a Parquet scan reads only those columns, where
        # caching copies every column of the table into memory first.
        frame.createOrReplaceTempView(view)
        self._views.append(view)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)  # before their tables go
            self._pool = None
        for frame in self._cached:
            with contextlib.suppress(Exception):
                frame.unpersist()
        for view in self._views:
            with contextlib.suppress(Exception):
                self.session.catalog.dropTempView(view)
        self._cached.clear()
        self._views.clear()


def _on_spark(name: str, work: Callable[[], T]) -> T:
    """Spark's work for a statement; Spark's own errors become one line naming it."""
    try:
        return work()
    except AttributionError:
        raise
    except Exception as exc:  # Spark raises its own exception classes
        raise AttributionError(f"Spark could not run sql/{name}.sql: {first_line(exc)}") from exc


def _is_connect(session: SparkSession) -> bool:
    """Whether the session is a Spark Connect client's (it has no SparkContext)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def _spark_ready(table: pa.Table) -> pa.Table:
    """Arrow types Spark takes: dictionary columns decoded, large strings as strings."""
    columns: list[Any] = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        columns.append(column)
    return pa.table(columns, names=table.column_names)
