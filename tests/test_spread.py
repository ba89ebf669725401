"""Models run once per distinct path and spread back (models/spread.py), and a stored run's
per-conversion credit kept per distinct path (migration 0014): the same credit, per touch and per
conversion, as running every model on every journey."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from attribution.engine.runs import RunSpec, run
from attribution.models import MODELS, PATH_FILE_MODELS, ModelOptions, run_models
from attribution.models.paths import Paths
from attribution.models.spread import ByPath
from attribution.service.pipeline import Pipeline
from benchmarks.attribution import END, START, generate

CHANNELS = ("Email", "Paid Search", "SEO", "Direct", "Social")


def journeys(n: int, seed: int, values: str = "positive") -> Paths:
    """n journeys (converting first, one conversion each, as a run builds them) of 1 to 4
    touches over five channels: many share a path; with times, for time decay."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 5, n)
    codes = rng.integers(0, len(CHANNELS), int(lengths.sum()))
    converting = n // 2
    conversions = np.r_[np.ones(converting), np.zeros(n - converting)]
    value = np.r_[rng.uniform(1, 500, converting), np.zeros(n - converting)]
    if values == "some zero":
        value[: converting // 3] = 0.0
    return Paths(
        channels=CHANNELS,
        offsets=np.r_[0, np.cumsum(lengths)],
        codes=codes,
        conversions=conversions,
        value=value,
        nulls=1.0 - conversions,
        gaps=rng.uniform(0, 30, len(codes)),
    )


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("values", ["positive", "some zero"])
def test_every_model_gives_each_touch_the_credit_of_a_run_per_journey(
    name: str, values: str
) -> None:
    paths = journeys(3000, seed=7, values=values)
    by_path = ByPath(paths)
    assert by_path.distinct.n_paths < paths.n_paths / 3  # the paths do repeat
    options = ModelOptions()
    got, shares = by_path.credit(name, options)
    want = run_models(paths, [name], options)[0]
    assert (shares is None) == (name not in PATH_FILE_MODELS)
    for figure in ("touch_conversions", "touch_value"):  # up to the last converting journey
        n = len(getattr(got, figure))
        assert n == (paths.offsets[1500] if shares is not None else len(paths.codes))
        mine, theirs = getattr(got, figure), getattr(want, figure)
        np.testing.assert_allclose(mine, theirs[:n], rtol=1e-9, atol=1e-9, err_msg=figure)
        assert not theirs[n:].any()
    for figure in ("conversions", "value"):
        np.testing.assert_allclose(
            getattr(got, figure), getattr(want, figure), rtol=1e-9, atol=1e-9, err_msg=figure
        )
    if want.removal_conversions is not None:
        assert got.removal_conversions is not None
        np.testing.assert_allclose(got.removal_conversions, want.removal_conversions, rtol=1e-9)


@pytest.mark.parametrize("order", [2, 3])
def test_markov_fits_each_journey_where_a_run_per_journey_stops(order: int) -> None:
    """Higher orders credit channels through the chain that no journey's split can take in
    full: the fit stops short, at the same sweep as on every journey (Paths.most)."""
    paths = journeys(4000, seed=11)
    got, shares = ByPath(paths).credit("markov", ModelOptions(order=order))
    want = run_models(paths, ["markov"], ModelOptions(order=order))[0]
    assert shares is not None
    n = len(got.touch_conversions)
    np.testing.assert_allclose(got.touch_conversions, want.touch_conversions[:n], rtol=1e-12)
    np.testing.assert_allclose(got.touch_value, want.touch_value[:n], rtol=1e-12)


def test_a_path_whose_values_cancel_runs_every_model_per_journey() -> None:
    # Two journeys on one path, a sale and its refund: the path's value sums to 0, so no share
    # per unit of value can be recovered from it.
    paths = Paths.from_lists([["Email", "SEO"], ["Email", "SEO"], ["SEO"]], [1, 1, 1], [50, -50, 9])
    by_path = ByPath(paths)
    got, shares = by_path.credit("linear", ModelOptions())
    assert shares is None
    np.testing.assert_allclose(got.touch_value, [25, 25, -25, -25, 9])


def test_distinct_paths_sum_their_journeys_counts() -> None:
    paths = Paths.from_lists(
        [["a", "b"], ["b"], ["a", "b"], ["b", "a"], ["b"]], [1, 0, 1, 0, 2], [5, 0, 3, 0, 1]
    )
    group, distinct = paths.distinct()
    assert group.tolist() == [0, 1, 0, 2, 1]  # first-seen order
    bounds = zip(distinct.offsets[:-1], distinct.offsets[1:], strict=True)
    assert [distinct.codes[a:b].tolist() for a, b in bounds] == [[0, 1], [1], [1, 0]]
    assert distinct.conversions.tolist() == [2, 2, 0] and distinct.value.tolist() == [8, 1, 0]


def one(con: Any, sql: str, run_id: int) -> tuple[Any, ...]:
    row = con.execute(sql, [run_id]).fetchone()
    assert row is not None
    return tuple(row)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pipeline, int]]:
    from attribution.config import load_settings

    folder = tmp_path_factory.mktemp("spread")
    (folder / "data").mkdir()
    settings = load_settings(environ={"ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb")})
    files = generate(folder / "data", 3000, seed=3)
    pipe = Pipeline.open(settings)
    for kind, path in files.items():
        pipe.ingest(kind, path)
    models = tuple(MODELS)
    result = run(pipe.warehouse, RunSpec(start=START, end=END, models=models))
    yield pipe, result.run_id
    pipe.close()


def test_the_stored_per_conversion_credit_is_each_journeys_own(
    stored: tuple[Pipeline, int],
) -> None:
    """conversion_credits (the view over path_credits and conversion_credit_rows) holds the
    same rows as every model's credit per (conversion, channel) computed journey by journey."""
    from attribution.engine import journeys as journey_sql
    from attribution.engine.runs import DrillDown

    pipe, run_id = stored
    with pipe.warehouse.cursor() as cur:
        found = journey_sql.build(cur, start=START, end=END, lookback_days=30.0, kinds=("won",))
    drill = DrillDown(found.paths, found, ByPath(found.paths))
    con = pipe.warehouse.con
    assert one(con, "SELECT count(*) FROM path_credits WHERE run_id = ?", run_id)[0]
    rows = con.execute(
        "SELECT model, count(*) FROM conversion_credit_rows WHERE run_id = ? GROUP BY 1", [run_id]
    ).fetchall()
    assert [m for m, _ in rows] == ["time_decay"]  # only it is stored per conversion
    for name in MODELS:
        want = drill._pair_credit(run_models(found.paths, [name], ModelOptions())[0])
        table = want["run_pair_credit"]
        expected = {
            (int(n), str(c)): (conv, value)
            for n, c, conv, value in zip(
                table["conversion_no"].to_pylist(),
                table["channel"].cast("string").to_pylist(),
                table["conversions"].to_pylist(),
                table["value"].to_pylist(),
                strict=True,
            )
        }
        got = {
            (int(n), str(c)): (conv, value)
            for n, c, conv, value in con.execute(
                "SELECT conversion_no, channel, conversions, value FROM conversion_credits "
                "WHERE run_id = ? AND model = ?",
                [run_id, name],
            ).fetchall()
        }
        assert got.keys() == expected.keys(), name
        for key, (conv, value) in expected.items():
            assert got[key][0] == pytest.approx(conv, rel=1e-9, abs=1e-15), (name, key)
            assert got[key][1] == pytest.approx(value, rel=1e-9, abs=1e-12), (name, key)


def test_a_run_stores_a_path_per_conversion(stored: tuple[Pipeline, int]) -> None:
    pipe, run_id = stored
    con = pipe.warehouse.con
    conversions, paths, missing = one(
        con,
        "SELECT count(*), count(DISTINCT path_no), count(*) FILTER (WHERE path_no IS NULL) "
        "FROM run_conversion_ids WHERE run_id = ?",
        run_id,
    )
    assert missing == 0 and 0 < paths < conversions
    linear = "FROM {} WHERE run_id = ? AND model = 'linear'"
    per_path = one(con, "SELECT count(*) " + linear.format("path_credits"), run_id)[0]
    per_conversion = one(con, "SELECT count(*) " + linear.format("conversion_credits"), run_id)[0]
    assert per_path < per_conversion


def test_a_runs_conversion_and_lead_ids_are_stored_with_zstd(stored: tuple[Pipeline, int]) -> None:
    pipe, _ = stored
    con = pipe.warehouse.con
    con.execute("CHECKPOINT")
    stored_as = con.execute(
        "SELECT column_name, list(DISTINCT compression ORDER BY compression) "
        "FROM pragma_storage_info('run_conversion_ids') "
        "WHERE column_name IN ('conversion_id', 'lead_id') AND segment_type <> 'VALIDITY' "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert stored_as == [("conversion_id", ["ZSTD"]), ("lead_id", ["ZSTD"])]
