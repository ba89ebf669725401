"""Intervals stored with runs (engine/intervals.py) and shown in the report, its CSV files and
its email (reporting/intervals.py): bounds checked against bootstrap.replicates directly, the
period's redrawn journeys against the Poisson distribution they must follow, the not-settled
flag on a case built to have overlapping and separate neighbours, and --no-intervals."""

from __future__ import annotations

import csv
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner

from attribution.cli import main
from attribution.config import load_settings
from attribution.engine import intervals, journeys, runs, sqlrun
from attribution.engine.sqlengine import DuckDBEngine
from attribution.models import ModelOptions, bootstrap, transforms
from attribution.models.bootstrap import BootstrapSpec
from attribution.models.paths import Paths
from attribution.models.result import Credit
from attribution.reporting import intervals as intervals_page
from attribution.reporting import report
from attribution.reporting.intervals import Range, cac_range, roas_range, settled
from attribution.reporting.period import Period
from attribution.reporting.render import CHANNEL_COLUMNS, MODEL_COLUMNS, compact
from attribution.service.pipeline import Pipeline

from .demo_data import build_demo
from .html_doc import parse
from .test_mailer import compose, mail_settings
from .test_metrics import ingest_rows, warehouse_settings

WEEK = Period.week("2026-W46")  # 2026-11-09 to 2026-11-16
MODELS = ("last_touch", "linear", "markov")
SPEC = BootstrapSpec(level=0.9, resamples=200, seed=11)
# Converting leads per channel in the report's week (one touch each, so last_touch and linear
# credit each conversion to its channel): Paid Search far ahead, Email and Referral close.
DASH = " \N{EN DASH} "  # between a range's ends
IN_WEEK = {"Paid Search": 120, "Email": 6, "Referral": 4}


# -- pure parts ------------------------------------------------------------------------------


def test_a_rank_is_settled_only_apart_from_both_neighbours() -> None:
    points = {"A": 100.0, "B": 10.0, "C": 8.0, "D": 1.0, "E": 0.0}
    bounds = {
        "A": Range(80, 120),
        "B": Range(7, 13),  # meets C's
        "C": Range(5, 11),
        "D": Range(0, 3),  # apart from C's (5 > 3)
        "E": Range(0, 0),  # credited nothing: not ranked
    }
    assert settled(points, bounds) == {"A": True, "B": False, "C": False, "D": True, "E": True}
    # touching ends overlap
    assert settled({"A": 5, "B": 3}, {"A": Range(4, 6), "B": Range(2, 4)}) == {
        "A": False,
        "B": False,
    }


def test_range_ends_read_short() -> None:
    amounts = (1_234_567, 153_868.5, 25_043.08, 2_700, 870.4, 15.23)
    assert [compact(v, "money") for v in amounts] == [
        "1.23M",
        "154k",
        "25.0k",
        "2.70k",
        "870",
        "15.2",
    ]
    assert (compact(0.1634, "percent"), compact(3.14159, "ratio"), compact(12.34, "number")) == (
        "16.3 %",
        "3.1",
        "12.3",
    )


def test_cac_swaps_the_bounds_and_roas_divides_them() -> None:
    assert cac_range(100.0, Range(2.0, 5.0)) == Range(20.0, 50.0)
    assert cac_range(100.0, Range(0.0, 5.0)) == Range(20.0, None)  # may buy nothing: no top
    assert cac_range(None, Range(2.0, 5.0)) == Range(None, None)
    assert cac_range(100.0, Range(0.0, 0.0)) == Range(None, None)
    assert roas_range(50.0, Range(100.0, 250.0)) == Range(2.0, 5.0)
    assert roas_range(0.0, Range(100.0, 250.0)) == Range(None, None)


def test_the_placebo_meaning_says_whether_noise_gets_credit() -> None:
    told = intervals_page.Placebo("linear", 12.0, 8.0, 16.0, 0.123)
    assert told.meaning == "hands about 12.3 % of conversions to a channel that does nothing"
    untold = intervals_page.Placebo("markov", 0.4, 0.0, 1.1, 0.004)
    assert untold.meaning == "credits noise no more than the data can tell from nothing"


def test_a_periods_journeys_are_redrawn_as_poisson_counts() -> None:
    """Held: the period's last-touch credit of a channel with n journeys in the period is a sum
    of n Poisson(1) weights, Poisson(n): 5th and 95th percentiles about n -/+ 1.645 sqrt(n).
    Journeys converting outside the period count for nothing."""
    names = [["A"]] * 700 + [["B", "A"]] * 50 + [["A", "B"]] * 100
    paths = Paths.from_lists(names, [1.0] * len(names), [10.0] * len(names))
    start, end = datetime(2026, 11, 9), datetime(2026, 11, 16)
    before = np.datetime64(start - timedelta(days=3), "us")
    inside = np.datetime64(start + timedelta(days=2), "us")
    converted = np.array([before] * 300 + [inside] * 550, dtype="datetime64[us]")
    held = intervals.Held(paths, converted, [(start, end)], SPEC)
    touch = np.zeros(len(paths.codes))
    touch[paths.offsets[1:] - 1] = 1.0  # last touch
    held.add(Credit("last_touch", paths.channels, np.zeros(2), np.zeros(2), touch, touch * 10))
    [(scope, reps)] = held.scopes()
    assert (scope.start, scope.end, scope.method, scope.basis) == (start, end, "poisson", "held")
    low, high = reps["last_touch"].bounds(0.9, "conversions")
    for n, lo, hi in zip((450, 100), low, high, strict=True):  # A: 400 + 50, B: 100
        # the sampling error of a 5 % quantile of 200 draws is about 0.15 sd of the draws
        assert abs(lo - (n - 1.645 * n**0.5)) < 0.5 * n**0.5
        assert abs(hi - (n + 1.645 * n**0.5)) < 0.5 * n**0.5
    value_low, _ = reps["last_touch"].bounds(0.9, "value")
    assert np.allclose(value_low, low * 10)
    again = intervals.Held(paths, converted, [(start, end)], SPEC)
    again.add(Credit("last_touch", paths.channels, np.zeros(2), np.zeros(2), touch, touch * 10))
    assert np.array_equal(
        again.scopes()[0][1]["last_touch"].conversions, reps["last_touch"].conversions
    )


# -- a warehouse -------------------------------------------------------------------------------


def _rows() -> tuple[list[list[str]], list[list[str]], list[list[str]], list[list[str]]]:
    """Leads with one touch each: IN_WEEK's conversions in the week, as many the week before,
    and a non-converting lead per converting one; spend on Paid Search and Email."""
    leads, touches, revenue = [], [], []
    for week_start, tag in ((WEEK.start, "w"), (WEEK.start - timedelta(days=7), "p")):
        for channel, n in IN_WEEK.items():
            for i in range(2 * n):
                lead = f"{tag}-{channel[:3]}-{i}"
                at = week_start + timedelta(hours=1 + i % 100)
                leads.append([lead, f"{at:%Y-%m-%dT%H:%M:%SZ}", "", ""])
                touches.append(
                    [lead, f"{at + timedelta(minutes=5):%Y-%m-%dT%H:%M:%SZ}", channel, ""]
                )
                if i < n:
                    won = at + timedelta(days=1)
                    amount = str(100 + 7 * (i % 5))
                    revenue.append([f"r-{lead}", lead, f"{won:%Y-%m-%dT%H:%M:%SZ}", amount, "won"])
    spend = [
        [f"{WEEK.start + timedelta(days=d):%Y-%m-%d}", "", channel, amount]
        for d in range(7)
        for channel, amount in (("Paid Search", "300"), ("Email", "20"))
    ]
    return leads, touches, revenue, spend


@dataclass
class Built:
    pipe: Pipeline
    made: report.Report


def ingested(folder: Path) -> Pipeline:
    """A warehouse in folder with _rows() ingested, open."""
    pipe = Pipeline.open(warehouse_settings(folder))
    leads, touches, revenue, spend = _rows()
    ingest_rows(pipe, folder, leads=leads, touches=touches, revenue=revenue, spend=spend)
    return pipe


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    folder = tmp_path_factory.mktemp("intervals")
    with ingested(folder) as pipe:
        spec = report.ReportSpec(
            WEEK, models=MODELS, primary="linear", trend_weeks=2, intervals=SPEC
        )
        made = report.build(pipe.warehouse, spec, folder / "reports", base_currency="USD")
        yield Built(pipe, made)


def stored(
    pipe: Pipeline, run_id: int, start: datetime, end: datetime
) -> dict[tuple[str, str], dict[str, float]]:
    rows = pipe.warehouse.con.execute(
        "SELECT * FROM channel_intervals WHERE run_id = ? AND period_start = ? AND period_end = ?",
        [run_id, start, end],
    )
    names = [d[0] for d in rows.description]
    return {(r[3], r[4]): dict(zip(names, r, strict=True)) for r in rows.fetchall()}


def test_the_windows_bounds_are_bootstrap_replicates_bounds(built: Built) -> None:
    """Stored window bounds equal bootstrap.replicates on the run's own journeys, figure by
    figure; the run's settings are stored beside them."""
    pipe, run_id = built.pipe, built.made.run_id
    start = datetime.fromisoformat(built.made.manifest["window_start"])
    end = datetime.fromisoformat(built.made.manifest["window_end"])
    with pipe.warehouse.cursor() as cur:
        found = journeys.build(cur, start=start, end=end, lookback_days=30.0, kinds=("won",))
    paths = transforms.apply(found.paths, [])
    reps = bootstrap.replicates(paths, MODELS, ModelOptions(), SPEC)
    rows = stored(pipe, run_id, start, end)
    assert {m for m, _ in rows} == set(MODELS)
    for model, rep in reps.items():
        for figure in ("conversions", "value", "share", "value_share"):
            low, high = rep.bounds(SPEC.level, figure)
            for i, channel in enumerate(rep.channels):
                row = rows[(model, channel)]
                assert row[f"{figure}_low"] == pytest.approx(low[i], rel=1e-12, abs=1e-12)
                assert row[f"{figure}_high"] == pytest.approx(high[i], rel=1e-12, abs=1e-12)
        removal = rows[(model, rep.channels[0])]["removal_conversions_low"]
        assert (removal is None) == (rep.removal_conversions is None)
    settings = pipe.warehouse.con.execute(
        "SELECT period_start, level, resamples, seed, method, basis FROM run_intervals "
        "WHERE run_id = ? ORDER BY period_start",
        [run_id],
    ).fetchall()
    assert settings == [
        (start, 0.9, 200, 11, "multinomial", "refit"),
        (WEEK.start, 0.9, 200, 11, "poisson", "held"),
    ]


def test_the_placebo_check_is_stored_and_shown(built: Built) -> None:
    """The report's run stores each model's credit to a no-effect channel as placebo() gives
    it on the run's journeys, and the page lists it with its range and meaning."""
    from attribution.models.placebo import placebo

    start = datetime.fromisoformat(built.made.manifest["window_start"])
    end = datetime.fromisoformat(built.made.manifest["window_end"])
    with built.pipe.warehouse.cursor() as cur:
        found = journeys.build(cur, start=start, end=end, lookback_days=30.0, kinds=("won",))
    expected = placebo(found.paths, MODELS, ModelOptions(), SPEC)
    got = built.pipe.warehouse.con.execute(
        "SELECT model, conversions, conversions_low, conversions_high, share FROM run_placebo "
        "WHERE run_id = ? ORDER BY model",
        [built.made.run_id],
    ).fetchall()
    assert got == sorted(
        (p.model, pytest.approx(p.conversions), pytest.approx(p.low), pytest.approx(p.high),
         pytest.approx(p.share))
        for p in expected.values()
    )  # fmt: skip
    doc = parse(built.made.index.read_text(encoding="utf-8"))
    rows = rows_by_channel(doc.by_id("placebo"))
    assert list(rows) == ["Last touch", "Linear", "Markov chain"]
    linear = expected["linear"]
    assert rows["Linear"][1] == f"{linear.conversions:,.1f}"
    assert rows["Linear"][2] == f"{linear.low:,.1f}{DASH}{linear.high:,.1f}"
    shown = intervals_page.Placebo(
        "linear", linear.conversions, linear.low, linear.high, linear.share
    )
    assert rows["Linear"][4] == shown.meaning
    assert (
        shown.meaning
        == f"hands about {linear.share * 100:.1f} % of conversions to a channel that does nothing"
    )
    assert linear.low > 0  # one touch each: the placebo is half of the journeys it is in
    assert "random half of the journeys" in doc.by_id("placebo-note").text


def test_the_weeks_bounds_hold_its_figures(built: Built) -> None:
    """The period's intervals are of the figures shown: they hold the week's credit (not the
    whole window's), and a channel's share bounds lie within 0 and 1."""
    rows = stored(built.pipe, built.made.run_id, WEEK.start, WEEK.end)
    for channel, n in IN_WEEK.items():
        for model in MODELS:
            row = rows[(model, channel)]
            assert row["conversions_low"] <= n <= row["conversions_high"], (model, channel)
            assert row["conversions_high"] < 2 * n + 3 * (2 * n) ** 0.5  # not the window's 2n
            assert 0 <= row["share_low"] <= row["share_high"] <= 1


def test_the_page_shows_ranges_and_flags_the_unsettled(built: Built) -> None:
    doc = parse(built.made.index.read_text(encoding="utf-8"))
    table = doc.by_id("channels")
    head = [th.text for th in table.find("thead").find_all("th")]
    assert "Share" in head  # the share of conversions, only with intervals
    flagged = {
        tr.find("th").text.split(" rank not settled")[0]
        for tr in table.find("tbody").find_all("tr")
        if tr.attrs.get("class") == "unsettled"
    }
    assert flagged == {"Email", "Referral"}  # 6 and 4 conversions; Paid Search's 120 apart
    note = doc.by_id("ranges-note").text
    assert "Rank not settled (Email, Referral)" in note
    assert "200 times" in note
    method = doc.find("dl", class_="method").text
    assert "90 % percentile bootstrap intervals, 200 resamples, seed 11, Poisson" in method
    bounds = stored(built.pipe, built.made.run_id, WEEK.start, WEEK.end)
    for tr in table.find("tbody").find_all("tr"):
        channel = tr.find("th").text.split(" rank not settled")[0]
        ranges = {
            head[i]: td.find("span", class_="range").text
            for i, td in enumerate(tr.find_all("td"), start=1)
            if td.find_all("span", class_="range")
        }
        b = bounds.get(("linear", channel))
        if b is None:  # Unassigned: leads only, no credit
            assert ranges["Conversions (Linear)"] == "0.0\N{EN DASH}0.0"
            continue
        conv = f"{b['conversions_low']:,.1f}\N{EN DASH}{b['conversions_high']:,.1f}"
        share = f"{b['share_low'] * 100:.1f}\N{EN DASH}{b['share_high'] * 100:.1f} %"
        assert (ranges["Conversions (Linear)"], ranges["Share"]) == (conv, share)
        assert "Revenue (Linear)" in ranges
        if channel == "Paid Search":  # spend 2,100: CAC's ends swapped, ROAS's divided
            cac = f"{compact(2100 / b['conversions_high'], 'money')}\N{EN DASH}" + compact(
                2100 / b["conversions_low"], "money"
            )
            roas = f"{b['value_low'] / 2100:,.1f}\N{EN DASH}{b['value_high'] / 2100:,.1f}"
            assert ranges["CAC"] == cac and ranges["ROAS"] == roas
        if channel == "Referral":  # no spend: no CAC or ROAS range
            assert "CAC" not in ranges and "ROAS" not in ranges


def rows_by_channel(table: object) -> dict[str, list[str]]:
    body = table.find("tbody")  # type: ignore[attr-defined]
    out = {}
    for tr in body.find_all("tr"):
        cells = [c.text for c in tr.children if not isinstance(c, str)]
        out[cells[0].split(" rank not settled")[0]] = cells
    return out


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def test_the_csv_files_carry_the_ranges(built: Built) -> None:
    bounds = stored(built.pipe, built.made.run_id, WEEK.start, WEEK.end)
    head, rows = read_csv(built.made.files["channel_summary"])
    assert head == [*CHANNEL_COLUMNS, *intervals_page.SUMMARY_COLUMNS]
    zero = dict.fromkeys(("conversions_low", "value_high"), 0.0)
    for row in rows:
        b = bounds.get((row["model"], row["channel"]), zero)  # Unassigned: leads, no touch
        assert float(row["attributed_conversions_low"]) == pytest.approx(b["conversions_low"])
        assert float(row["attributed_revenue_high"]) == pytest.approx(b["value_high"])
        if row["channel"] == "Paid Search":  # spend 2,100: CAC's bounds swapped
            assert float(row["cac_low"]) == pytest.approx(2100 / b["conversions_high"])
            assert float(row["roas_high"]) == pytest.approx(b["value_high"] / 2100)
    settled_rows = {r["channel"]: r["rank_settled"] for r in rows if r["model"] == "linear"}
    assert settled_rows == {
        "Paid Search": "True",
        "Email": "False",
        "Referral": "False",
        "Unassigned": "True",
    }
    head, rows = read_csv(built.made.files["model_comparison"])
    assert head == [*MODEL_COLUMNS, *intervals_page.COMPARISON_COLUMNS]
    assert all(float(r["conversions_low"]) <= float(r["conversions"]) for r in rows)


def test_the_email_table_shows_the_ranges(built: Built) -> None:
    message = compose(built.made, {}, mail_settings())
    html = message.get_body(("html",))
    assert html is not None
    doc = parse(html.get_content())
    table = doc.by_id("channels")
    ranges = {
        tr.find("th").text.split("rank not settled")[0].strip(): [
            s.text for s in tr.find_all("span", class_="range")
        ]
        for tr in table.find("tbody").find_all("tr")
    }
    b = stored(built.pipe, built.made.run_id, WEEK.start, WEEK.end)[("linear", "Email")]
    assert ranges["Email"][0] == f"{b['conversions_low']:,.1f}{DASH}{b['conversions_high']:,.1f}"
    assert ranges["Email"][1] == f"{b['value_low']:,.2f}{DASH}{b['value_high']:,.2f}"
    assert [s.text for s in table.find_all("span", class_="flag")] == ["rank not settled"] * 2
    assert "90 % range" in doc.by_id("ranges-note").text
    text = message.get_body(("plain",))
    assert text is not None and "90 % range: conversions" in text.get_content()
    assert "; rank not settled" in text.get_content()


def test_a_report_without_intervals_has_no_range_columns(built: Built, tmp_path: Path) -> None:
    spec = report.ReportSpec(WEEK, models=MODELS, primary="linear", trend_weeks=2)
    made = report.build(built.pipe.warehouse, spec, tmp_path, base_currency="USD")
    doc = parse(made.index.read_text(encoding="utf-8"))
    head = [th.text for th in doc.by_id("channels").find("thead").find_all("th")]
    assert "Share" not in head
    assert not doc.find_all("span", class_="range")
    assert not doc.find_all("span", class_="flag")
    assert not doc.find_all("table", id="placebo")
    assert read_csv(made.files["channel_summary"])[0] == list(CHANNEL_COLUMNS)
    assert made.manifest["intervals"] is None


def test_cli_run_stores_seeded_intervals_and_no_intervals_stores_none(tmp_path: Path) -> None:
    """`run --intervals` twice with one seed stores the same bounds; `--no-intervals` none."""
    ingested(tmp_path).close()
    env = {"ATTRIBUTION_CONFIG": str(tmp_path / "config.yaml")}
    window = ["--window", "2026-11-02..2026-11-16", "--models", "last_touch,markov"]
    made, outputs = [], []
    for extra in (
        ["--intervals", "0.8", "--resamples", "50", "--seed", "3"],
        ["--intervals", "0.8", "--resamples", "50", "--seed", "3"],
        ["--no-intervals"],
    ):
        result = CliRunner().invoke(main, ["run", *window, *extra], env=env)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
        made.append(int(result.output.split("run ", 1)[1].split(" ", 1)[0]))
    said = " ".join(outputs[0].split())
    assert f"intervals stored with run {made[0]}: 80 % ranges of every model's credit" in said
    assert "(50 resamples, seed 3)" in said
    assert "intervals stored" not in outputs[2]
    with Pipeline.open(warehouse_settings(tmp_path)) as pipe:
        con = pipe.warehouse.con

        def bounds(run_id: int) -> list[tuple[object, ...]]:
            return con.execute(
                "SELECT model, channel, conversions_low, conversions_high, value_low, "
                "removal_conversions_low FROM channel_intervals WHERE run_id = ? "
                "ORDER BY model, channel",
                [run_id],
            ).fetchall()

        first, second, none = (bounds(r) for r in made)
        assert first and first == second
        assert {row[0] for row in first} == {"last_touch", "markov"}
        assert all((row[5] is None) == (row[0] == "last_touch") for row in first)
        assert none == []
        settings = con.execute(
            "SELECT run_id, level, resamples, seed FROM run_intervals WHERE run_id IN (?, ?, ?)",
            made,
        ).fetchall()
        assert sorted(settings) == [(made[0], 0.8, 50, 3), (made[1], 0.8, 50, 3)]


def test_cli_refuses_intervals_and_no_intervals_together(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--intervals", "0.9", "--no-intervals"])
    assert result.exit_code != 0
    assert "--intervals and --no-intervals contradict" in result.output


# -- the SQL engines' intervals (Spark's, here on DuckDB) ----------------------------------------

SQL_COMPARED = (
    "first_touch",
    "last_touch",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "shapley",
    "fractribution",
)
POISSON = BootstrapSpec(resamples=400, seed=5, method="poisson")
Keyed = dict[tuple[str, str, datetime], dict[str, float]]


def keyed(table: pa.Table) -> Keyed:
    """Interval rows by (model, channel, period_start)."""
    return {(r["model"], r["channel"], r["period_start"]): r for r in table.to_pylist()}


def stored_table(pipe: Pipeline, run_id: int) -> pa.Table:
    rows = pipe.warehouse.con.execute(
        "SELECT * EXCLUDE (run_id) FROM channel_intervals WHERE run_id = ?", [run_id]
    )
    names = [d[0] for d in rows.description]
    return pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows.fetchall()])


def assert_alike(in_memory: Keyed, on_sql: Keyed) -> None:
    """Two Poisson bootstraps of the same journeys: the SQL engine's draws each distinct path's
    count, the in-memory run each journey's (sums of Poisson draws are Poisson: the same
    distribution), so their bounds differ by Monte Carlo error. A 5 % quantile of 400 draws
    has a standard error of about 0.11 sd of the draws, the difference of two such about 0.15
    sd, 0.046 of a 90 % interval's width (3.29 sd): the bounds must agree within 0.25 of the
    width (over 5 standard errors), plus 0.5 for the steps of whole-number figures. Value:
    each journey of a path carries the path's mean value on the SQL engine, which narrows the
    value's spread where a path's deals differ: within 0.35 of the width."""
    assert in_memory.keys() == on_sql.keys()
    for key, a in in_memory.items():
        b = on_sql[key]
        for figure, slack in (("conversions", 0.25), ("share", 0.25), ("value", 0.35)):
            width = a[f"{figure}_high"] - a[f"{figure}_low"]
            step = 0.5 if figure == "conversions" else 0.0
            for end in ("low", "high"):
                gap = abs(a[f"{figure}_{end}"] - b[f"{figure}_{end}"])
                assert gap <= slack * width + step + 1e-9, (key, figure, end, a, b)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo warehouse (closed): 2,000 leads over 6 weeks, about 1,600 journeys."""
    return build_demo(tmp_path_factory.mktemp("intervals-demo"), 2000, 6, intervals=False)


def sql_spec(models: tuple[str, ...] = SQL_COMPARED) -> runs.RunSpec:
    return runs.RunSpec(
        datetime(2026, 10, 19),
        datetime(2026, 11, 23),
        models=models,
        intervals=POISSON,
        interval_periods=((datetime(2026, 11, 16), datetime(2026, 11, 23)),),
    )


def test_the_sql_engine_draws_intervals_alike_the_in_memory_run(
    demo_db: Path, tmp_path: Path
) -> None:
    """The SQL engine's run (Spark's, here on DuckDB) stores intervals equal in distribution
    to the in-memory run's, for the window (refit) and the report's week (held), and the
    same credit (the point estimates are not touched)."""
    shutil.copyfile(demo_db, tmp_path / "w.duckdb")
    spec = sql_spec()
    with Pipeline.open(
        load_settings(environ={"ATTRIBUTION_WAREHOUSE__PATH": str(tmp_path / "w.duckdb")})
    ) as pipe:
        in_memory = runs.run(pipe.warehouse, spec)
        with pipe.warehouse.cursor() as cur:
            engine = DuckDBEngine(cur)
            found = sqlrun.journeys(engine, spec)
            result = sqlrun.run_models(engine, spec, found)
            on_sql = sqlrun.store(cur, engine, spec, result, time.perf_counter(), "duckdb")
            engine.close()
        a, b = (keyed(stored_table(pipe, r.run_id)) for r in (in_memory, on_sql))
        assert {k[0] for k in a} == set(SQL_COMPARED)
        assert len({k[2] for k in a}) == 2  # the window and the week
        assert_alike(a, b)
        methods = pipe.warehouse.con.execute(
            "SELECT DISTINCT method FROM run_intervals WHERE run_id = ?", [on_sql.run_id]
        ).fetchall()
        assert methods == [("poisson",)]
        for want, have in zip(in_memory.credits, on_sql.credits, strict=True):
            order = [have.channels.index(c) for c in want.channels]
            assert np.allclose(want.conversions, have.conversions[order], rtol=1e-9, atol=1e-9)
