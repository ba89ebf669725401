"""Portable SQL: every statement the Spark engine runs transpiles and passes the portability
rules; the rules catch what sqlglot mistranslates silently; literals mean the same on both
engines. (Running each statement on both engines: tests/test_spark.py.)"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import sqlglot

from attribution.engine import portable, spark, sqlrun
from attribution.engine.runs import RunSpec
from attribution.engine.sqlengine import DuckDBEngine
from attribution.engine.sqlrun import SQL_MODELS, Found, run_models
from attribution.errors import AttributionError
from attribution.models import ModelOptions
from attribution.service.pipeline import Pipeline

ROOT = Path(__file__).resolve().parent.parent  # the repository


@pytest.mark.parametrize("name", portable.PORTABLE)
def test_every_portable_statement_transpiles_to_spark(name: str) -> None:
    assert portable.problems(name) == []
    spark_sql = portable.render(name, "spark", dict.fromkeys(_params(name)))
    assert sqlglot.parse_one(spark_sql, read="spark") is not None


def _params(name: str) -> list[str]:
    tree = sqlglot.parse_one((ROOT / "sql" / f"{name}.sql").read_text(), read="duckdb")
    return [str(p.this) for p in tree.find_all(sqlglot.exp.Placeholder)]


def test_small_relations_are_hinted_for_broadcast_on_spark_only() -> None:
    on_spark = portable.render("channels/map_touches", "spark")
    on_duckdb = portable.render("channels/map_touches", "duckdb")
    # The mapping keys (k), which every touch joins.
    assert on_spark.count("/*+ BROADCAST(") == 1
    assert "/*+ BROADCAST(k) */" in on_spark
    assert "BROADCAST" not in on_duckdb
    assert sqlglot.parse_one(on_spark, read="spark") is not None
    # Every hinted alias is one the statement joins: a renamed alias must be renamed there too.
    params = {
        "run_id": 0,
        "start": datetime(2026, 1, 1),
        "end": datetime(2026, 2, 1),
        "lookback": timedelta(days=30),
    }
    for name, aliases in portable._BROADCAST.items():
        rendered = portable.render(name, "spark", params)
        for alias in aliases:
            assert f"AS {alias} ON" in rendered, (name, alias)


def test_the_journeys_side_of_the_touches_join_is_hinted_as_hash_build_on_spark_only() -> None:
    window = {
        "lookback": timedelta(days=30),
        "end": datetime(2026, 4, 1),
        "window_from": datetime(2026, 3, 2),
        "half_life_days": 7.0,
    }
    on_spark = portable.render("journeys/journey_touches", "spark", window)
    on_duckdb = portable.render("journeys/journey_touches", "duckdb", window)
    assert on_spark.count("/*+ SHUFFLE_HASH(") == 1
    assert "SELECT /*+ SHUFFLE_HASH(j) */ j.lead_no" in on_spark
    assert "FROM journeys AS j JOIN touch_channels AS tc" in on_spark
    assert "SHUFFLE_HASH" not in on_duckdb
    assert sqlglot.parse_one(on_spark, read="spark") is not None
    for name, aliases in portable._SHUFFLE_HASH.items():
        rendered = portable.render(name, "spark", window)
        for alias in aliases:
            assert f"AS {alias} " in rendered, (name, alias)


def test_every_model_statement_is_checked() -> None:
    files = {f"models/{p.stem}" for p in (ROOT / "sql" / "models").glob("*.sql")}
    assert files and files <= set(portable.PORTABLE)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT list(x ORDER BY y) FROM t", "loses its order"),
        ("SELECT array_agg(x ORDER BY y) FROM t", "loses its order"),
        ("SELECT date_diff('day', a, b) FROM t", "date_diff"),
        ("SELECT epoch(a) FROM t", "epoch()"),
        ("SELECT quantile_cont(x, 0.5) FROM t", "approximate"),
        ("SELECT hash(a) FROM t", "HASH() is not known"),
        ("SELECT * FROM read_parquet('x.parquet')", "reads a file"),
        ("SELECT * FROM 'x.parquet'", "reads a file"),
        ("SELECT a / b FROM t", "division"),
        ("SELECT a // b FROM t", "integer division"),
        ("SELECT * EXCLUDE (a) FROM t", "EXCLUDE"),
        ("SELECT l[-1] FROM t", "negative list indexes"),
        ("SELECT * FROM t PIVOT (sum(x) FOR y IN (1, 2))", "PIVOT"),
        ("SELEC x", "is not a query"),
    ],
)
def test_the_rules_refuse_what_does_not_mean_the_same_on_spark(sql: str, reason: str) -> None:
    found = portable.problems_in(sql)
    assert found and any(reason in p for p in found), found


def test_portable_forms_pass() -> None:
    sql = (
        "SELECT string_agg(CAST(c AS VARCHAR), ',' ORDER BY c) AS k, 1.0e0 * sum(a) / count(*), "
        "count_if(a > 1), epoch_us(max(t)) - epoch_us(min(t)) FROM x GROUP BY g"
    )
    assert portable.problems_in(sql) == []
    assert "UNIX_MICROS" in portable.render_text(sql, "spark")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.4, 0.4),
        (7, 7),
        (-1.5e-7, -1.5e-7),
        ("it's", "it's"),
        (None, None),
        (True, True),
        (datetime(2026, 3, 1, 12, 30, 0, 5), datetime(2026, 3, 1, 12, 30, 0, 5)),
        (date(2026, 2, 28), date(2026, 2, 28)),
    ],
)
def test_literals_keep_their_value_and_type_on_duckdb(value: object, expected: object) -> None:
    sql = "SELECT " + portable.literal(value).sql("duckdb")
    got = duckdb.connect().execute(sql).fetchone()
    assert got is not None and got[0] == expected and type(got[0]) is type(expected)


def test_a_fraction_is_a_double_not_a_decimal() -> None:
    assert portable.literal(0.4).sql("spark") == "0.4e0"  # a plain 0.4 is a DECIMAL on Spark


def test_an_interval_keeps_its_microseconds() -> None:
    sql = "SELECT TIMESTAMP '2026-01-31 00:00:00' - " + portable.literal(
        timedelta(days=10.5, microseconds=7)
    ).sql("duckdb")
    got = duckdb.connect().execute(sql).fetchone()
    assert got is not None and got[0] == datetime(2026, 1, 20, 11, 59, 59, 999993)


def test_bad_literals_and_missing_parameters_are_clear_errors() -> None:
    with pytest.raises(AttributionError, match="cannot be a SQL literal"):
        portable.literal(float("nan"))
    with pytest.raises(AttributionError, match="no SQL literal for a list"):
        portable.literal([1, 2])
    with pytest.raises(AttributionError, match=r"needs the parameter \$half_life_days"):
        window = {"lookback": timedelta(days=30), "end": datetime(2026, 2, 1)}
        portable.render("journeys/journey_touches", "spark", {**window, "window_from": None})


def test_a_lake_folder_without_a_table_is_a_clear_error(tmp_path: Path) -> None:
    for table in ("touches", "leads", "revenue_events"):
        (tmp_path / f"{table}.parquet").write_bytes(b"")
    with pytest.raises(AttributionError, match=r"has no spend\.parquet or spend/ folder"):
        spark.lake_paths(str(tmp_path))
    (tmp_path / "spend").mkdir()
    assert spark.lake_paths(str(tmp_path))["spend"] == str(tmp_path / "spend")
    assert spark.lake_paths("s3a://bucket/lake/")["touches"] == "s3a://bucket/lake/touches"


def test_the_sql_engines_refuse_transforms_and_unknown_models(pipe: Pipeline) -> None:
    found = Found(0, 0, 0, 0, 0, (), 0.0)
    with pipe.warehouse.cursor() as cur:
        engine = DuckDBEngine(cur)
        spec = RunSpec(datetime(2026, 1, 1), datetime(2026, 2, 1), transforms=("exposure",))
        with pytest.raises(AttributionError, match="path transforms run in memory only"):
            run_models(engine, spec, found)
        spec = RunSpec(datetime(2026, 1, 1), datetime(2026, 2, 1), models=("nope",))
        with pytest.raises(AttributionError, match="cannot run on the SQL engines"):
            run_models(engine, spec, found)
        spec = RunSpec(
            datetime(2026, 1, 1),
            datetime(2026, 2, 1),
            models=("position_based",),
            options=ModelOptions(position=(0.5, 0.5, 0.5)),
        )
        with pytest.raises(AttributionError, match="sum to 1"):
            run_models(engine, spec, found)
        engine.close()
    assert set(SQL_MODELS) == {
        "first_touch", "last_touch", "last_non_direct", "linear", "position_based", "u_shaped",
        "j_shaped", "inverse_j", "time_decay", "markov", "shapley", "fractribution",
    }  # fmt: skip


def test_an_unreachable_spark_connect_server_is_a_clear_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from attribution.cli import main

    env = {
        "ATTRIBUTION_WAREHOUSE__PATH": str(tmp_path / "w.duckdb"),
        "ATTRIBUTION_SPARK__REMOTE": "sc://127.0.0.1:9",
    }
    args = ["run", "--engine", "spark", "--window", "7d", "--allow-empty"]  # empty warehouse
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code != 0
    assert "no Spark Connect server answers at 127.0.0.1:9" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "data" / "lake").exists()


def test_the_input_hash_reads_values_not_arrow_buffers() -> None:
    """Engines hand back the same rows in other chunks, orders, types and bitmaps, and sums
    that differ in the last bits: the hash is the same; another count changes it."""
    spec = RunSpec(datetime(2026, 1, 1), datetime(2026, 2, 1))
    found = Found(2, 0, 1, 0, 0, ("Direct", "Email"), 30.5)
    one = pa.table(
        {
            "path_key": ["0", "0>1", "1"],
            "conversions": pa.array([1, 1, 0], pa.int64()),
            "nulls": pa.array([0, 0, 1], pa.int64()),
            "value": [10.2, 20.3, 0.0],
            "value_cents": pa.array([1020, 2030, 0], pa.int64()),
        }
    )
    other = pa.concat_tables(
        [
            pa.table(
                {
                    "path_key": pa.array(["1"], pa.large_string()),
                    "conversions": pa.array([0], pa.decimal128(38, 0)),
                    "nulls": pa.array([1], pa.decimal128(38, 0)),
                    "value": pa.array([-0.0], pa.float64()),
                    "value_cents": pa.array([0], pa.decimal128(38, 0)),
                }
            ),
            pa.table(
                {
                    "path_key": pa.array(["0>1", "0"], pa.large_string()),
                    "conversions": pa.array([1, 1], pa.decimal128(38, 0)),
                    "nulls": pa.array([0, 0], pa.decimal128(38, 0)),
                    "value": pa.array([20.299999999999997, 10.200000000000001], pa.float64()),
                    "value_cents": pa.array([2030, 1020], pa.decimal128(38, 0)),
                }
            ),
        ]
    )
    same = [sqlrun._input_hash(t, spec, found) for t in (one, other)]
    assert same[0] == same[1] and same[0].startswith("sql:")
    changed = one.set_column(2, "nulls", pa.array([0, 0, 2], pa.int64()))
    assert sqlrun._input_hash(changed, spec, found) != same[0]
    cent = one.set_column(4, "value_cents", pa.array([1021, 2030, 0], pa.int64()))
    assert sqlrun._input_hash(cent, spec, found) != same[0]


def test_the_lake_export_writes_the_columns_a_run_reads(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from attribution.config import load_settings

    settings = load_settings(environ={"ATTRIBUTION_WAREHOUSE__PATH": str(tmp_path / "w.duckdb")})
    with Pipeline.open(settings) as pipe, pipe.warehouse.cursor() as cur:
        lake = spark.export_lake(cur, tmp_path / "lake")
        every = {
            table: [str(r[0]) for r in cur.con.execute(f"DESCRIBE {table}").fetchall()]
            for table in spark.LAKE_TABLES
        }
    for table in spark.LAKE_TABLES:
        names = pq.read_schema(lake / f"{table}.parquet").names
        listed = spark.LAKE_COLUMNS[table]
        assert names == (every[table] if listed is None else list(listed)), table
        assert set(names) <= set(every[table])
    assert "touch_id" not in pq.read_schema(lake / "touches.parquet").names


def test_the_lake_export_is_skipped_while_the_tables_are_unchanged(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from attribution.config import load_settings

    settings = load_settings(environ={"ATTRIBUTION_WAREHOUSE__PATH": str(tmp_path / "w.duckdb")})
    folder = tmp_path / "lake"
    with Pipeline.open(settings) as pipe, pipe.warehouse.cursor() as cur:
        said: list[str] = []
        spark.export_lake(cur, folder, said.append)
        assert len(said) == len(spark.LAKE_TABLES)
        said.clear()
        spark.export_lake(cur, folder, said.append)
        assert said == []  # nothing changed: the files stay
        cur.con.execute(
            "INSERT INTO spend (spend_date, channel, amount, currency, amount_original, batch_id,"
            " row_number) VALUES (DATE '2026-01-05', 'Email', 10, 'EUR', 10, 1, 1)"
        )
        spark.export_lake(cur, folder, said.append)
        assert said == ["exporting spend to Parquet"]
        assert pq.read_table(folder / "spend.parquet").num_rows == 1
        said.clear()
        cur.con.execute("UPDATE spend SET amount = 11")  # same count, other values
        (folder / "touches.parquet").unlink()  # a file gone
        spark.export_lake(cur, folder, said.append)
        assert said == ["exporting touches to Parquet", "exporting spend to Parquet"]
        assert float(pq.read_table(folder / "spend.parquet").column("amount")[0].as_py()) == 11
