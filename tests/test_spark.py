"""The Spark engine on a local session (one per test run, tests/conftest.py): every portable
statement gives the same rows on Spark as on DuckDB, and a Spark run stores the same results as
the in-memory DuckDB engine (absolute 1e-9 or relative 1e-12), on a seeded demo warehouse of a
few thousand journeys."""

from __future__ import annotations

import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pytest
from click.testing import CliRunner

from attribution.cli import main
from attribution.config import Settings, load_settings
from attribution.engine import portable, spark, sqlrun
from attribution.engine.runs import RunResult, RunSpec
from attribution.engine.sqlengine import DuckDBEngine, SparkEngine, SqlEngine
from attribution.errors import AttributionError
from attribution.models import MODELS, ModelOptions
from attribution.models.bootstrap import BootstrapSpec
from attribution.models.result import Credit
from attribution.reporting.period import Period
from attribution.reporting.report import ReportSpec
from attribution.service.pipeline import Pipeline

from .conftest import SPARK_TEST_JVM
from .demo_data import build_demo
from .test_intervals import assert_alike, keyed, sql_spec, stored_table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

AS_OF = date(2026, 11, 25)
ALL = RunSpec(start=datetime(2026, 10, 1), end=datetime(2026, 11, 25), models=tuple(MODELS))
# Other options: order-3 Markov, a fractional lookback, another half-life, direct set, weights.
WEEK = (datetime(2026, 11, 16), datetime(2026, 11, 23))
OTHER = RunSpec(
    start=datetime(2026, 10, 15),
    end=datetime(2026, 11, 20),
    lookback_days=10.5,
    models=("markov", "time_decay", "position_based", "last_non_direct", "shapley"),
    kinds=("won", "renewal"),
    options=ModelOptions(
        order=3, half_life_days=2.5, direct=("Direct", "Email"), position=(0.3, 0.3, 0.4)
    ),
)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo warehouse: 3,000 leads over 6 weeks (about 2,500 journeys), closed."""
    return build_demo(tmp_path_factory.mktemp("spark-demo"), 3000, 6)


@pytest.fixture
def settings(seeded: Path, tmp_path: Path) -> Settings:
    db = tmp_path / "attribution.duckdb"
    shutil.copyfile(seeded, db)
    return load_settings(
        environ={
            "ATTRIBUTION_WAREHOUSE__PATH": str(db),
            "ATTRIBUTION_SPARK__EXPORT_DIR": str(tmp_path / "lake"),
        }
    )


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def assert_same_credit(expected: list[Credit], got: list[Credit]) -> None:
    assert [c.model for c in got] == [c.model for c in expected]
    for want, have in zip(expected, got, strict=True):
        index = {c: i for i, c in enumerate(want.channels)}
        assert set(have.channels) == set(want.channels)
        pairs = [
            (want.conversions, have.conversions),
            (want.value, have.value),
            (want.removal_conversions, have.removal_conversions),
            (want.removal_value, have.removal_value),
        ]
        for a, b in pairs:
            assert (a is None) == (b is None), want.model
            if a is None or b is None:
                continue
            for j, channel in enumerate(have.channels):
                assert close(float(a[index[channel]]), float(b[j])), (
                    want.model,
                    channel,
                    a[index[channel]],
                    b[j],
                )
    assert any(c.conversions.sum() > 0 for c in got)


def rows(pipe: Pipeline, sql: str, run_id: int) -> list[tuple[Any, ...]]:
    return pipe.warehouse.con.execute(sql, [run_id]).fetchall()


def assert_close_rows(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> None:
    assert len(a) == len(b) and a
    for x, y in zip(a, b, strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, float) and isinstance(v, float):
                assert close(u, v), (x, y)
            else:
                assert u == v, (x, y)


@pytest.mark.parametrize("spec", [ALL, OTHER], ids=["every_model", "other_options"])
def test_a_spark_run_equals_the_duckdb_engine(
    spark_session: SparkSession, settings: Settings, spec: RunSpec
) -> None:
    with Pipeline.open(settings) as pipe:
        in_memory = pipe.attribute(spec, "duckdb")
        on_spark = spark.run(pipe.warehouse, settings, spec, spark=spark_session)
        assert isinstance(in_memory, RunResult)
        assert_same_credit(in_memory.credits, on_spark.credits)
        j, f = in_memory.journeys, on_spark.found
        assert (j.converting, j.non_converting, j.conversions_without_touches) == (
            f.converting,
            f.non_converting,
            f.conversions_without_touches,
        )
        assert (j.touches_too_early, j.touches_after_conversion) == (
            f.touches_too_early,
            f.touches_after_conversion,
        )
        assert j.converting > 100 and j.non_converting > 1000
        # The stored run: the same tables, the same rows (credits: the non-zero ones).
        runs_sql = (
            "SELECT conversions, conversions_without_touches, non_converting, touches_too_early, "
            "touches_after_conversion, models, lookback_days FROM attribution_runs "
            "WHERE run_id = ?"
        )
        assert rows(pipe, runs_sql, in_memory.run_id) == rows(pipe, runs_sql, on_spark.run_id)
        engine = "SELECT engine FROM attribution_runs WHERE run_id = ?"
        assert rows(pipe, engine, on_spark.run_id) == [("spark",)]
        assert rows(pipe, engine, in_memory.run_id) == [("duckdb",)]
        for sql in (
            # path_no: the distinct path of the in-memory run's per-path credit (Spark: none)
            "SELECT * EXCLUDE (run_id, path_no) FROM run_conversion_ids WHERE run_id = ? "
            "ORDER BY ALL",
            "SELECT * EXCLUDE (run_id) FROM journey_channels WHERE run_id = ? ORDER BY ALL",
            "SELECT * EXCLUDE (run_id) FROM run_lead_days WHERE run_id = ? ORDER BY ALL",
            "SELECT * EXCLUDE (run_id) FROM run_spend_days WHERE run_id = ? ORDER BY ALL",
        ):
            assert rows(pipe, sql, in_memory.run_id) == rows(pipe, sql, on_spark.run_id), sql
        for sql in (
            "SELECT model, channel, day, conversions, value FROM channel_day_credits "
            "WHERE run_id = ? AND (conversions <> 0 OR value <> 0) ORDER BY model, channel, day",
            "SELECT model, source_id, channel, day, conversions, value FROM source_credits "
            "WHERE run_id = ? AND (conversions <> 0 OR value <> 0) "
            "ORDER BY model, source_id NULLS FIRST, channel, day",
            "SELECT model, channel, conversions, value, removal_effect_conversions, "
            "removal_effect_value FROM channel_credits WHERE run_id = ? ORDER BY model, channel",
        ):
            assert_close_rows(rows(pipe, sql, in_memory.run_id), rows(pipe, sql, on_spark.run_id))
        none = "SELECT count(*) FROM conversion_credits WHERE run_id = ?"
        assert rows(pipe, none, on_spark.run_id) == [(0,)]


class Recording:
    """An engine that records the statements it ran."""

    def __init__(self, engine: SqlEngine, ran: set[str]) -> None:
        self.engine, self.ran = engine, ran
        self.dialect = engine.dialect

    def create(
        self, name: str, params: dict[str, object] | None = None, *, keep: bool = True
    ) -> None:
        self.ran.add(name)
        self.engine.create(name, params, keep=keep)

    def view(self, view: str, name: str, params: dict[str, object] | None = None) -> None:
        self.ran.add(name)
        self.engine.view(view, name, params)

    def query(self, name: str, params: dict[str, object] | None = None) -> pa.Table:
        self.ran.add(name)
        return self.engine.query(name, params)

    def soon(self, name: str, params: dict[str, object] | None = None) -> Callable[[], pa.Table]:
        self.ran.add(name)
        return self.engine.soon(name, params)

    def register(self, view: str, table: pa.Table) -> None:
        self.engine.register(view, table)

    def close(self) -> None:
        self.engine.close()


def table_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """Rows as tuples in a full order (engines may order ties differently)."""
    columns = [table.column(n).to_pylist() for n in table.column_names]
    return sorted(zip(*columns, strict=True), key=lambda r: tuple(_key(v) for v in r))


def _key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, float):
        return (1, round(value, 6))
    return (1, value)


def same_rows(a: pa.Table, b: pa.Table) -> None:
    """The same rows, columns by position (unnamed expressions are named by each engine)."""
    assert a.num_columns == b.num_columns
    left, right = table_rows(a), table_rows(b)
    assert len(left) == len(right)
    for x, y in zip(left, right, strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, float) or isinstance(v, float):
                assert u is not None and v is not None and close(float(u), float(v)), (x, y)
            else:
                assert u == v, (x, y)


@pytest.fixture
def engines(
    spark_session: SparkSession, settings: Settings
) -> Iterator[tuple[DuckDBEngine, SparkEngine, Pipeline]]:
    with Pipeline.open(settings) as pipe, pipe.warehouse.cursor() as cur:
        lake = spark.export_lake(cur, settings.resolve(settings.spark.export_dir))
        on_spark = SparkEngine(spark_session)
        on_duckdb = DuckDBEngine(cur)
        try:
            spark.load_inputs(on_spark, cur, spark.lake_paths(str(lake)))
            yield on_duckdb, on_spark, pipe
        finally:
            on_spark.close()
            on_duckdb.close()


def test_every_portable_statement_gives_the_same_rows_on_both_engines(
    engines: tuple[DuckDBEngine, SparkEngine, Pipeline],
) -> None:
    on_duckdb, on_spark, _ = engines
    ran: set[str] = set()
    found = [sqlrun.journeys(Recording(e, ran), ALL) for e in (on_duckdb, on_spark)]
    # The total value is a sum in each engine's order: equal up to rounding.
    assert replace(found[0], value=0.0) == replace(found[1], value=0.0)
    assert close(found[0].value, found[1].value) and found[0].value > 0
    window = {"run_id": 0, "start": ALL.start, "end": ALL.end}
    queries: list[tuple[str, dict[str, object] | None]] = [
        ("journeys/channel_names", None),
        ("journeys/window_stats", None),
        ("journeys/converting_rows", None),
        ("models/path_totals", None),
        ("runs/insert_lead_days", window),
        ("runs/insert_spend_days", window),
    ]
    for name, params in queries:
        ran.add(name)
        same_rows(on_duckdb.query(name, params), on_spark.query(name, params))
    # Each model statement's credit cells, and the models fitted here (set and path credit);
    # with intervals, each model's credit per path and the paths' journeys of the window and a
    # week: the same draws on the same paths, so the same bounds on both engines.
    with_intervals = replace(
        ALL, intervals=BootstrapSpec(resamples=50, seed=2), interval_periods=(WEEK,)
    )
    results = [
        sqlrun.run_models(Recording(e, ran), with_intervals, found[0])
        for e in (on_duckdb, on_spark)
    ]
    assert results[0].input_hash == results[1].input_hash
    assert results[0].cells.keys() == results[1].cells.keys()
    for model, cells in results[0].cells.items():
        assert cells.num_rows > 0, model
        same_rows(cells, results[1].cells[model])
    assert_same_credit(results[0].credits, results[1].credits)
    for name in ("run_interval_scopes", "run_channel_intervals"):
        assert results[0].intervals[name].num_rows > 0
    same_rows(*(r.intervals["run_channel_intervals"] for r in results))
    # Every statement the Spark engine runs was run on both engines here.
    assert set(portable.PORTABLE) <= ran, set(portable.PORTABLE) - ran


def test_markov_from_sql_transitions_matches_for_every_order(
    engines: tuple[DuckDBEngine, SparkEngine, Pipeline],
) -> None:
    _, on_spark, pipe = engines
    found = sqlrun.journeys(on_spark, ALL)
    for order in (1, 2, 3, 4):
        spec = RunSpec(ALL.start, ALL.end, models=("markov",), options=ModelOptions(order=order))
        expected = pipe.attribute(spec, "duckdb").credits
        got = sqlrun.run_models(on_spark, spec, found).credits
        assert_same_credit(expected, got)
        assert got[0].removal_conversions is not None
        assert all(math.isfinite(x) for x in got[0].removal_conversions)


def test_spark_intervals_are_alike_the_in_memory_runs(
    engines: tuple[DuckDBEngine, SparkEngine, Pipeline],
) -> None:
    """On the same data the Spark run's intervals (Poisson over distinct paths) and the
    in-memory run's (Poisson over journeys) are equal in distribution (test_intervals'
    assert_alike gives the tolerance), and the credit is the same."""
    _, on_spark, pipe = engines
    spec = sql_spec()
    found = sqlrun.journeys(on_spark, spec)
    result = sqlrun.run_models(on_spark, spec, found)
    in_memory = pipe.attribute(spec, "duckdb")
    assert_alike(
        keyed(stored_table(pipe, in_memory.run_id)),
        keyed(result.intervals["run_channel_intervals"]),
    )
    assert_same_credit(in_memory.credits, result.credits)


def test_attribution_run_engine_spark_stores_a_run(
    spark_session: SparkSession, settings: Settings
) -> None:
    env = {
        "ATTRIBUTION_WAREHOUSE__PATH": str(settings.warehouse.path),
        "ATTRIBUTION_SPARK__EXPORT_DIR": str(settings.spark.export_dir),
    }
    args = ["run", "--engine", "spark", "--as-of", "2026-11-25", "--window", "2w"]
    args += ["--models", "linear,markov"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert "(spark): conversions 2026-11-11 to 2026-11-25" in result.output
    assert "journeys on Spark" in result.output
    with Pipeline.open(settings) as pipe:
        stored = pipe.warehouse.con.execute(
            "SELECT engine, models FROM attribution_runs ORDER BY run_id DESC LIMIT 1"
        ).fetchall()
    assert stored == [("spark", ["linear", "markov"])]
    assert (settings.spark.export_dir / "touches.parquet").is_file()


def test_attribution_report_honours_engine_spark(
    spark_session: SparkSession, settings: Settings, tmp_path: Path
) -> None:
    """`attribution report` goes through the pipeline, so `engine: spark` makes its run on
    Spark (the run is stored with engine 'spark'), and the report is written from it."""
    env = {
        "ATTRIBUTION_ENGINE": "spark",
        "ATTRIBUTION_WAREHOUSE__PATH": str(settings.warehouse.path),
        "ATTRIBUTION_SPARK__EXPORT_DIR": str(settings.spark.export_dir),
    }
    args = ["report", "--week", "2026-W47", "--models", "linear,markov"]
    args += ["--out", str(tmp_path / "reports")]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    with Pipeline.open(settings) as pipe:
        stored = pipe.warehouse.con.execute(
            "SELECT run_id, engine, models FROM attribution_runs ORDER BY run_id DESC LIMIT 1"
        ).fetchall()
    run_id, engine, models = stored[0]
    assert (engine, models) == ("spark", ["linear", "markov"])
    assert f"report 2026-W47 (run {run_id})" in result.output
    assert (tmp_path / "reports" / f"2026-W47-run{run_id}" / "index.html").is_file()


def csv_cells(path: Path) -> list[list[str]]:
    return [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_weekly_report_on_spark_has_the_duckdb_engines_figures(
    spark_session: SparkSession, settings: Settings, tmp_path: Path
) -> None:
    spec = ReportSpec(Period.last_complete_week(AS_OF), models=("linear", "markov", "shapley"))
    made = {}
    for engine in ("duckdb", "spark"):
        chosen = settings.model_copy(update={"engine": engine})
        with Pipeline.open(chosen) as pipe:
            made[engine] = pipe.report(spec, tmp_path / engine)
    for name in ("channel_summary", "source_summary", "model_comparison", "weekly_trend"):
        want, got = (csv_cells(made[e].files[name]) for e in ("duckdb", "spark"))
        assert len(want) == len(got) > 1, name
        for a, b in zip(want, got, strict=True):
            assert len(a) == len(b)
            for u, v in zip(a, b, strict=True):
                try:
                    assert abs(float(u) - float(v)) <= 1e-6 * max(1.0, abs(float(u))), (name, a, b)
                except ValueError:
                    assert u == v, (name, a, b)
    with Pipeline.open(settings) as pipe:
        engines = pipe.warehouse.con.execute(
            "SELECT engine FROM attribution_runs WHERE run_id IN (?, ?) ORDER BY run_id",
            [made["duckdb"].run_id, made["spark"].run_id],
        ).fetchall()
    assert engines == [("duckdb",), ("spark",)]


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Spark Connect server (PySpark's spark-submit, local[2]) on 127.0.0.1."""
    import pyspark

    home = Path(pyspark.__file__).parent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("connect") / "server.log"
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1"}
    command = [str(home / "bin" / "spark-submit"), "--class"]
    command += ["org.apache.spark.sql.connect.service.SparkConnectServer", "--master", "local[2]"]
    for setting in (
        f"spark.connect.grpc.binding.port={port}",
        "spark.connect.grpc.binding.address=127.0.0.1",
        "spark.ui.enabled=false",
        "spark.driver.memory=1g",
        f"spark.driver.extraJavaOptions={SPARK_TEST_JVM}",
        f"spark.sql.warehouse.dir={log.parent / 'warehouse'}",
    ):
        command += ["--conf", setting]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 180
        while "Spark Connect server started" not in log.read_text(errors="replace"):
            assert server.poll() is None, log.read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "the Spark Connect server did not start"
            time.sleep(0.5)
        yield f"sc://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def test_a_run_through_spark_connect_equals_the_duckdb_engine(
    connect_server: str, settings: Settings
) -> None:
    """`attribution run --engine spark` with spark.remote, in its own process (as a user runs
    it), against a real Spark Connect server."""
    env = {
        **os.environ,
        "ATTRIBUTION_WAREHOUSE__PATH": str(settings.warehouse.path),
        "ATTRIBUTION_SPARK__EXPORT_DIR": str(settings.spark.export_dir),
        "ATTRIBUTION_SPARK__REMOTE": connect_server,
    }
    args = ["run", "--engine", "spark", "--as-of", "2026-11-25", "--window", "8w"]
    args += ["--models", ",".join(MODELS)]
    cli = [str(Path(sys.executable).parent / "attribution"), *args]
    done = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    spec = RunSpec(datetime(2026, 9, 30), datetime(2026, 11, 25), models=tuple(MODELS))
    with Pipeline.open(settings) as pipe:
        in_memory = pipe.attribute(spec, "duckdb")
        sql = (
            "SELECT model, channel, conversions, value, removal_effect_conversions, "
            "removal_effect_value FROM channel_credits WHERE run_id = ? ORDER BY model, channel"
        )
        (spark_run,) = pipe.warehouse.con.execute(
            "SELECT max(run_id) FROM attribution_runs WHERE engine = 'spark'"
        ).fetchone() or (None,)
        assert spark_run is not None
        assert_close_rows(rows(pipe, sql, in_memory.run_id), rows(pipe, sql, spark_run))


def test_a_spark_error_names_the_statement(spark_session: SparkSession) -> None:
    engine = SparkEngine(spark_session)
    with pytest.raises(AttributionError, match=r"Spark could not run sql/models/credit_cells\.sql"):
        engine.query("models/credit_cells")  # no touch_credit view: Spark refuses the plan
    engine.register("touch_credit", pa.table({"channel": ["a"], "source_id": [1]}))
    with pytest.raises(AttributionError, match=r"Spark could not run sql/models/credit_cells\.sql"):
        engine.query("models/credit_cells")  # columns missing
    engine.close()
    assert not spark_session.catalog.tableExists("touch_credit")


def test_a_statement_started_soon_reads_the_tables_as_they_were_then(
    engines: tuple[DuckDBEngine, SparkEngine, Pipeline],
) -> None:
    for engine in engines[:2]:
        engine.register("run_channels", pa.table({"code": [1, 0], "channel": ["b", "a"]}))
        started = engine.soon("journeys/channel_names")
        engine.register("run_channels", pa.table({"code": [0], "channel": ["c"]}))
        assert started().column("channel").to_pylist() == ["a", "b"]
        assert started().num_rows == 2  # handed over again, not run again
        assert engine.query("journeys/channel_names").column("channel").to_pylist() == ["c"]


def test_a_spark_error_in_a_statement_started_soon_names_it(spark_session: SparkSession) -> None:
    engine = SparkEngine(spark_session)
    engine.register("touch_credit", pa.table({"channel": ["a"], "source_id": [1]}))
    with pytest.raises(AttributionError, match=r"Spark could not run sql/models/credit_cells\.sql"):
        engine.soon("models/credit_cells")()  # columns missing: refused when planned
    engine.register(
        "touch_credit",
        pa.table(
            {
                "channel": ["a"],
                "source_id": [1],
                "day": [date(2026, 1, 1)],
                "conversion_share": [1.0],
                "value": ["not a number"],
                "value_share": [1.0],
            }
        ),
    )
    with pytest.raises(AttributionError, match=r"Spark could not run sql/models/credit_cells\.sql"):
        engine.soon("models/credit_cells")()  # a string times a double: refused by Spark
    engine.close()
