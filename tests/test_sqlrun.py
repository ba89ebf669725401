"""The SQL engines' run (Spark's code, here on DuckDB): the models computed on the distinct paths
and spread by their shares give every model the in-memory run's credit per channel, per channel
and day and per lead source and day. (The same on Spark: tests/test_spark.py.)"""

from __future__ import annotations

import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from attribution.config import load_settings
from attribution.engine import pathshares, sqlrun
from attribution.engine.runs import RunSpec
from attribution.engine.sqlengine import DuckDBEngine
from attribution.models import MODELS, ModelOptions, run_models
from attribution.models.paths import Paths
from attribution.service.pipeline import Pipeline

from .demo_data import build_demo

ALL = RunSpec(start=datetime(2026, 10, 1), end=datetime(2026, 11, 25), models=tuple(MODELS))
OTHER = RunSpec(
    start=datetime(2026, 10, 15),
    end=datetime(2026, 11, 20),
    lookback_days=10.5,
    models=("markov", "time_decay", "position_based", "last_non_direct", "shapley"),
    options=ModelOptions(
        order=3, half_life_days=2.5, direct=("Direct", "Email"), position=(0.3, 0.3, 0.4)
    ),
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo warehouse (closed): 2,000 leads over 6 weeks."""
    return build_demo(tmp_path_factory.mktemp("sqlrun-demo"), 2000, 6, intervals=False)


def _rows(pipe: Pipeline, sql: str, run_id: int) -> list[tuple[Any, ...]]:
    return pipe.warehouse.con.execute(sql, [run_id]).fetchall()


@pytest.mark.parametrize("spec", [ALL, OTHER], ids=["every_model", "other_options"])
def test_the_sql_run_stores_the_in_memory_runs_credit(
    demo: Path, tmp_path: Path, spec: RunSpec
) -> None:
    shutil.copyfile(demo, tmp_path / "w.duckdb")
    settings = load_settings(environ={"ATTRIBUTION_WAREHOUSE__PATH": str(tmp_path / "w.duckdb")})
    with Pipeline.open(settings) as pipe:
        in_memory = pipe.attribute(spec, "duckdb")
        with pipe.warehouse.cursor() as cur:
            engine = DuckDBEngine(cur)
            found = sqlrun.journeys(engine, spec)
            result = sqlrun.run_models(engine, spec, found)
            on_sql = sqlrun.store(cur, engine, spec, result, time.perf_counter(), "duckdb")
            engine.close()
        # The run's counts, conversions, their journeys' channels, leads and spend by day.
        for sql in (
            "SELECT conversions, conversions_without_touches, non_converting, touches_too_early, "
            "touches_after_conversion FROM attribution_runs WHERE run_id = ?",
            "SELECT * EXCLUDE (run_id, path_no) FROM run_conversion_ids WHERE run_id = ? "
            "ORDER BY ALL",
            "SELECT * EXCLUDE (run_id) FROM journey_channels WHERE run_id = ? ORDER BY ALL",
            "SELECT * EXCLUDE (run_id) FROM run_lead_days WHERE run_id = ? ORDER BY ALL",
        ):
            want, got = _rows(pipe, sql, in_memory.run_id), _rows(pipe, sql, on_sql.run_id)
            assert want and want == got, sql
        for sql in (
            "SELECT model, channel, day, conversions, value FROM channel_day_credits "
            "WHERE run_id = ? AND (conversions <> 0 OR value <> 0) ORDER BY model, channel, day",
            "SELECT model, source_id, channel, day, conversions, value FROM source_credits "
            "WHERE run_id = ? AND (conversions <> 0 OR value <> 0) "
            "ORDER BY model, source_id NULLS FIRST, channel, day",
            "SELECT model, channel, conversions, value, removal_effect_conversions, "
            "removal_effect_value FROM channel_credits WHERE run_id = ? ORDER BY model, channel",
        ):
            want, got = _rows(pipe, sql, in_memory.run_id), _rows(pipe, sql, on_sql.run_id)
            assert len(want) == len(got) > 0, sql
            for a, b in zip(want, got, strict=True):
                for u, v in zip(a, b, strict=True):
                    if isinstance(u, float) and isinstance(v, float):
                        assert abs(u - v) <= 1e-9 or abs(u - v) <= 1e-12 * abs(u), (a, b)
                    else:
                        assert u == v, (a, b)


def test_shares_times_the_paths_counts_give_each_models_touch_credit() -> None:
    paths = Paths.from_lists(
        [["A", "B", "A"], ["B"], ["A", "C"], ["C", "B"]],
        conversions=[3, 2, 0, 1],
        value=[300.0, 50.0, 0.0, 0.0],  # the last path converts with no value
        nulls=[1, 4, 5, 2],
    )
    keys = pa.array(["0>1>0", "1", "0>2", "2>1"])
    largest = np.array([120.0, 30.0, 0.0, 0.0])
    names = ["linear", "position_based", "shapley", "fractribution"]
    shares = pathshares.compute(paths, keys, largest, names, ModelOptions())
    table = shares.table.to_pydict()
    # Only the touches of converting paths, one row per model and touch.
    assert len(table["model"]) == len(names) * 6
    assert set(table["path_key"]) == {"0>1>0", "1", "2>1"}
    for credit in run_models(paths, names, ModelOptions()):
        owner = paths.path_of_touch
        conv = shares.conversion[credit.model] * paths.conversions[owner]
        assert np.allclose(conv, credit.touch_conversions, rtol=0, atol=1e-12)
        value = shares.value[credit.model] * paths.value[owner]
        assert np.allclose(value, credit.touch_value, rtol=0, atol=1e-9)
        # A path worth nothing splits its value as its conversions.
        last = owner == 3
        assert np.array_equal(
            shares.value[credit.model][last], shares.conversion[credit.model][last]
        )
    linear = [
        s for m, s in zip(table["model"], table["conversion_share"], strict=True) if m == "linear"
    ]
    assert np.allclose(linear, [1 / 3, 1 / 3, 1 / 3, 1.0, 0.5, 0.5])
