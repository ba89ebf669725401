"""Bootstrap intervals: every model's replicates equal the model itself at the data's counts;
resampling is seeded, joint (total fixed) or Poisson, per journey; percentile intervals."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from attribution.cli.app import main
from attribution.errors import AttributionError
from attribution.models import MODELS, ModelOptions, batched, bootstrap, markov, run_models
from attribution.models.bootstrap import BootstrapSpec, percentile, replicates
from attribution.models.paths import Paths
from attribution.models.placebo import PLACEBO, placebo, with_placebo


def journeys(n: int = 3000, channels: int = 5, seed: int = 1) -> Paths:
    """One row per journey, as a run from the warehouse holds them."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 5, n)
    converted = (rng.random(n) < 0.3).astype(float)
    return Paths(
        tuple(f"ch{i}" for i in range(channels)),
        np.r_[0, np.cumsum(lengths)].astype(np.int64),
        rng.integers(0, channels, int(lengths.sum())).astype(np.int64),
        converted,
        converted * rng.gamma(2.0, 50.0, n),
        1.0 - converted,
        gaps=rng.random(int(lengths.sum())) * 20,
    )


def at_data(paths: Paths, name: str, options: ModelOptions) -> batched.Figures:
    """A model's batched figures for one 'replicate' equal to the data."""
    group, distinct = bootstrap._distinct(paths)
    converting = np.flatnonzero(paths.conversions > 0)
    runner = bootstrap._runner(name, paths, distinct, options, converting, paths.value[converting])
    if runner.rows:
        rows = [a[None, converting] for a in (paths.conversions, paths.value, paths.nulls)]
        return runner.figures(batched.Batch(*rows))
    counts = [a[None, :] for a in (paths.conversions, paths.value, paths.nulls)]
    if group is not None:
        counts = [batched.Grouper(group, distinct.n_paths)(a) for a in counts]
    return runner.figures(batched.Batch(*counts))


@pytest.mark.parametrize("order", [1, 2])
def test_every_model_at_the_data_counts_is_the_model(order: int) -> None:
    paths = journeys()
    options = ModelOptions(order=order)
    for credit in run_models(paths, list(MODELS), options):
        name = "markov" if credit.model.startswith("markov") else credit.model
        found = at_data(paths, name, options)
        scale = max(1.0, float(np.abs(credit.value).max()))
        assert np.allclose(found.conversions[0], credit.conversions, rtol=0, atol=1e-9)
        assert np.allclose(found.value[0] / scale, credit.value / scale, rtol=0, atol=1e-12)
        removal_c, removal_v = credit.removal_conversions, credit.removal_value
        if removal_c is not None and removal_v is not None:
            assert found.removal_conversions is not None and found.removal_value is not None
            assert np.allclose(found.removal_conversions[0], removal_c, atol=1e-12)
            assert np.allclose(found.removal_value[0], removal_v, atol=1e-12)


def test_sparse_chains_give_the_dense_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = journeys(800)
    spec = BootstrapSpec(resamples=6, seed=4)
    dense = replicates(paths, ["markov"], None, spec)["markov"]
    monkeypatch.setattr(markov, "DENSE_STATES", 2)  # every chain solved one replicate at a time
    sparse = replicates(paths, ["markov"], None, spec)["markov"]
    assert np.allclose(dense.conversions, sparse.conversions, atol=1e-9)
    assert np.allclose(dense.removal_value, sparse.removal_value, atol=1e-12)  # type: ignore[arg-type]


def test_same_seed_same_intervals_however_chunked(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = journeys(1000)
    names = ["linear", "markov", "shapley", "time_decay"]
    spec = BootstrapSpec(resamples=20, seed=11)
    first = replicates(paths, names, None, spec)
    monkeypatch.setattr(bootstrap, "_chunk", lambda *_: 3)
    again = replicates(paths, names, None, spec)
    other = replicates(paths, names, None, BootstrapSpec(resamples=20, seed=12))
    for name in first:
        assert np.array_equal(first[name].conversions, again[name].conversions)
        assert np.array_equal(first[name].value, again[name].value)
        assert not np.array_equal(first[name].conversions, other[name].conversions)


def test_identical_journeys_give_zero_width_intervals() -> None:
    paths = Paths.from_lists([["a", "b", "c"]] * 50, [1.0] * 50, [10.0] * 50, [0.0] * 50)
    heuristic = ["first_touch", "last_touch", "linear", "position_based", "fractribution"]
    for name, reps in replicates(paths, heuristic, None, BootstrapSpec(resamples=30)).items():
        credit = run_models(paths, [name])[0]
        for figure, point in (("conversions", credit.conversions), ("value", credit.value)):
            low, high = reps.bounds(0.9, figure)
            assert np.allclose(low, point) and np.allclose(high, point), name


def test_doubling_every_count_narrows_by_about_one_over_root_two() -> None:
    rng = np.random.default_rng(3)
    lists = [list(rng.choice(["a", "b", "c", "d"], rng.integers(1, 4))) for _ in range(40)]
    conv = rng.integers(0, 30, 40).astype(float)
    nulls = rng.integers(0, 60, 40).astype(float)
    spec = BootstrapSpec(resamples=2000, seed=5)
    widths = []
    for k in (1.0, 2.0):
        paths = Paths.from_lists(lists, list(conv * k), list(conv * k * 20), list(nulls * k))
        low, high = replicates(paths, ["linear"], None, spec)["linear"].bounds(0.9, "share")
        widths.append(high - low)
    ratio = widths[1] / widths[0]
    assert np.all((ratio > 0.62) & (ratio < 0.8)), ratio  # 1/sqrt(2) = 0.707


def test_resampling_keeps_the_journey_total_and_each_journeys_value() -> None:
    # Two converting journeys of the same path, values 1 and 100, and one non-converting one.
    paths = Paths.from_lists([["a"], ["a"], ["a"]], [1.0, 1.0, 0.0], [1.0, 100.0, 0.0], [0, 0, 1])
    reps = replicates(paths, ["first_touch"], None, BootstrapSpec(resamples=300, seed=1))
    value = reps["first_touch"].value[:, 0]
    conv = reps["first_touch"].conversions[:, 0]
    possible = {0.0, 1.0, 2.0, 3.0, 100.0, 101.0, 102.0, 200.0, 201.0, 300.0}
    assert set(np.round(value, 9)) <= possible
    assert {1.0, 100.0} <= set(np.round(value, 9))  # journeys carry their own values
    assert conv.max() <= 3 and conv.min() >= 0
    draws = bootstrap.Draws(paths, BootstrapSpec(resamples=50))
    for counts in draws.chunks(50):
        assert np.all(counts.sum(axis=0) == 3)  # the multinomial keeps the total


def test_fractional_counts_take_the_poisson_bootstrap() -> None:
    paths = Paths.from_lists([["a", "b"], ["b"]], [1.5, 2.25], [15.0, 9.0], [0.5, 4.0])
    assert bootstrap.Draws(paths, BootstrapSpec()).method == "poisson"
    with pytest.raises(AttributionError, match="Poisson"):
        bootstrap.Draws(paths, BootstrapSpec(method="multinomial"))
    reps = replicates(paths, ["linear"], None, BootstrapSpec(resamples=50))["linear"]
    assert np.all(reps.conversions >= 0) and reps.conversions.std() > 0


def test_percentile_levels_and_shares() -> None:
    rows = np.arange(101, dtype=float)[:, None]
    low, high = percentile(rows, 0.9)
    assert low[0] == pytest.approx(5.0) and high[0] == pytest.approx(95.0)
    with pytest.raises(ValueError):
        percentile(rows, 1.0)
    reps = replicates(journeys(500), ["linear"], None, BootstrapSpec(resamples=40))["linear"]
    assert np.allclose(reps.figure("share").sum(axis=1), 1.0)


def test_path_file_command_adds_interval_columns(tmp_path: Path) -> None:
    source = tmp_path / "paths.csv"
    source.write_text(
        "path,total_conversions,total_conversion_value,total_null\n"
        "a > b,30,3000,70\nb,12,600,200\na > c > b,8,1600,12\nc,3,90,90\n"
    )
    plain, ranged = tmp_path / "plain.csv", tmp_path / "ranged.csv"
    base = ["attribute", "--paths", str(source), "--models", "linear,markov"]
    assert CliRunner().invoke(main, [*base, "--out", str(plain)]).exit_code == 0
    result = CliRunner().invoke(
        main, [*base, "--out", str(ranged), "--intervals", "0.9", "--resamples", "100"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(ranged.open()))
    assert [(r["channel"], r["model"]) for r in rows] == [
        (r["channel"], r["model"]) for r in csv.DictReader(plain.open())
    ]
    for row in rows:
        low, point, high = (
            float(row[k]) for k in ("conversions_low", "conversions", "conversions_high")
        )
        assert low <= point <= high and low < high
        assert float(row["value_low"]) < float(row["value_high"])
    again = tmp_path / "again.csv"
    CliRunner().invoke(
        main, [*base, "--out", str(again), "--intervals", "0.9", "--resamples", "100"]
    )
    assert again.read_text() == ranged.read_text()  # seeded: the same intervals


def test_placebo_lands_in_a_random_half_of_the_journeys_and_keeps_the_rest() -> None:
    paths = journeys(400)
    marked = with_placebo(paths, seed=9)
    code = marked.channels.index(PLACEBO)
    is_placebo = marked.codes == code
    per_row = np.add.reduceat(is_placebo.astype(np.int64), marked.offsets[:-1])
    assert set(per_row) == {0, 1} and 150 < per_row.sum() < 250  # about half the journeys
    for name in ("conversions", "value", "nulls"):  # no journey lost or made
        assert getattr(marked, name).sum() == pytest.approx(getattr(paths, name).sum())
    assert np.array_equal(np.sort(marked.codes[~is_placebo]), np.sort(paths.codes))
    plain = per_row == 0
    assert np.all(np.diff(plain.astype(int)) <= 0)  # journeys without it first
    assert marked.gaps is not None
    index = np.flatnonzero(is_placebo)  # in time it lies between its neighbours
    first = marked.position[index] == 0
    last = marked.position[index] == marked.lengths[marked.path_of_touch[index]] - 1
    after = np.where(last, 0.0, marked.gaps[np.minimum(index + 1, len(marked.gaps) - 1)])
    before = np.where(first, after, marked.gaps[np.maximum(index - 1, 0)])
    lo, hi = np.minimum(before, after), np.maximum(before, after)
    assert np.all((marked.gaps[index] >= lo - 1e-12) & (marked.gaps[index] <= hi + 1e-12))


def test_aggregated_rows_split_their_journeys_binomially() -> None:
    paths = Paths.from_lists([["a", "b"], ["b"]], [40.0, 10.0], [400.0, 50.0], [60.0, 90.0])
    marked = with_placebo(paths, seed=3)
    assert marked.conversions.sum() == 50 and marked.nulls.sum() == 150
    assert marked.value.sum() == pytest.approx(450.0)
    per_journey = marked.value / np.where(marked.conversions > 0, marked.conversions, 1)
    assert set(np.round(per_journey[marked.conversions > 0], 9)) <= {10.0, 5.0}


def test_placebo_credit_of_first_touch_is_the_journeys_where_it_came_first() -> None:
    paths = journeys(2000)
    names = ["first_touch", "markov", "shapley"]
    found = placebo(paths, names, None, BootstrapSpec(resamples=50, seed=2))
    marked = with_placebo(paths, seed=2)
    code = marked.channels.index(PLACEBO)
    came_first = marked.codes[marked.offsets[:-1]] == code
    expected = float(marked.conversions[came_first].sum())
    assert found["first_touch"].conversions == pytest.approx(expected)
    assert found["first_touch"].share == pytest.approx(expected / paths.conversions.sum())
    for credit in found.values():
        assert credit.low <= credit.conversions <= credit.high
    # Journeys with the placebo convert as often as those without: Shapley, which compares
    # the two, gives it far less than a rule that credits any touch in first place.
    assert found["shapley"].share < found["first_touch"].share / 2


def test_removal_effects_file_carries_their_intervals(tmp_path: Path) -> None:
    source = tmp_path / "paths.csv"
    source.write_text(
        "path,total_conversions,total_conversion_value,total_null\n"
        "a > b,30,3000,70\nb,12,600,200\na > c > b,8,1600,12\nc,3,90,90\n"
    )
    removal = tmp_path / "removal.csv"
    args = ["attribute", "--paths", str(source), "--models", "markov", "--out"]
    args += [str(tmp_path / "r.csv"), "--removal-effects", str(removal), "--intervals", "0.8"]
    assert CliRunner().invoke(main, args).exit_code == 0
    rows = list(csv.DictReader(removal.open()))
    assert [r["channel"] for r in rows] == ["a", "b", "c"]
    for row in rows:
        low = float(row["removal_effect_conversions_low"])
        high = float(row["removal_effect_conversions_high"])
        assert low <= float(row["removal_effect_conversions"]) <= high


def test_no_journeys_give_zero_replicates() -> None:
    none = np.zeros(0)
    empty = Paths(("a", "b"), np.zeros(1, np.int64), np.zeros(0, np.int64), none, none, none)
    found = replicates(
        empty, ["linear", "markov"], ModelOptions(order=2), BootstrapSpec(resamples=4)
    )
    assert set(found) == {"linear", "markov_2"}
    assert found["markov_2"].conversions.shape == (4, 2) and not found["linear"].value.any()
