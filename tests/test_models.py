"""Attribution models against the spec's check vectors and independent implementations.

Every reference here is written from the attribution spec ("Models"), not from the package:
dense absorbing-chain algebra, sums over walks and a seeded Monte Carlo for Markov, subset
enumeration for Shapley, dictionaries of exact paths for fractribution."""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from attribution.errors import AttributionError
from attribution.models import (
    MODELS,
    ModelOptions,
    check_names,
    heuristic,
    markov,
    run_models,
    shapley,
)
from attribution.models.paths import Paths
from attribution.models.result import Credit

Floats = NDArray[np.float64]
PerChannel = dict[str, float]

PROPERTY = settings(max_examples=80, deadline=None, derandomize=True, database=None)
NAMES = ("Direct", "Email", "Paid Search", "Organic", "Social", "Referral")

# The spec's first-order Markov check: paths, conversions, value, nulls.
TOY_PATHS = [["A", "B"], ["A"], ["B", "A"], ["C", "B"], ["C"]]
TOY_CONV = [1.0, 0.0, 1.0, 0.0, 1.0]
TOY_VALUE = [10.0, 0.0, 5.0, 0.0, 2.0]
TOY_NULLS = [0.0, 1.0, 0.0, 1.0, 0.0]


def conversions_of(credit: Credit) -> PerChannel:
    return by_channel(credit.channels, credit.conversions)


def value_of(credit: Credit) -> PerChannel:
    return by_channel(credit.channels, credit.value)


def by_channel(channels: Sequence[str], values: Floats) -> PerChannel:
    return {c: float(values[i]) for i, c in enumerate(channels)}


def assert_close(got: PerChannel, want: PerChannel, tol: float = 1e-9) -> None:
    channels = set(got) | set(want)
    for c in channels:
        assert got.get(c, 0.0) == pytest.approx(want.get(c, 0.0), abs=tol, rel=tol), c


def one_path(touches: Sequence[str], options: ModelOptions, model: str) -> PerChannel:
    """Per-channel credit of one path with one conversion (value 1)."""
    p = Paths.from_lists([touches], [1.0], [1.0])
    return conversions_of(MODELS[model](p, options))


@dataclass(frozen=True)
class Data:
    """Paths as plain lists, so that the references never touch the package's arrays."""

    paths: list[list[str]]
    conversions: list[float]
    value: list[float]
    nulls: list[float]
    gaps: list[list[float]] | None = None

    def to_paths(self) -> Paths:
        p = Paths.from_lists(self.paths, self.conversions, self.value, self.nulls)
        if self.gaps is None:
            return p
        flat = np.array([g for path in self.gaps for g in path], dtype=np.float64)
        return dataclasses.replace(p, gaps=flat)

    def renamed(self, mapping: dict[str, str]) -> Data:
        return dataclasses.replace(self, paths=[[mapping[c] for c in p] for p in self.paths])

    @property
    def channels(self) -> list[str]:
        return sorted({c for p in self.paths for c in p})


TOY = Data(TOY_PATHS, TOY_CONV, TOY_VALUE, TOY_NULLS)

count = st.one_of(st.just(0.0), st.floats(0.01, 10.0, allow_nan=False, allow_subnormal=False))


@st.composite
def path_data(draw: st.DrawFn, max_channels: int = 6, with_gaps: bool = False) -> Data:
    """1-6 channels, 1-30 paths of 1-6 touches, non-negative counts, at least one conversion;
    value only where there are conversions (it is the conversions' value)."""
    # Sampled from largest to smallest: integers() and lists() favour tiny examples.
    n_channels = draw(st.sampled_from(range(max_channels, 0, -1)))
    names = NAMES[:n_channels]
    n_paths = draw(st.sampled_from(range(30, 0, -1)))
    touch = st.sampled_from(names)
    length = st.sampled_from(range(6, 0, -1))
    paths = [[draw(touch) for _ in range(draw(length))] for _ in range(n_paths)]
    conversions = [draw(count) for _ in range(n_paths)]
    if not any(conversions):
        conversions[draw(st.integers(0, n_paths - 1))] = draw(st.floats(0.01, 10.0))
    value = [draw(st.floats(0.0, 100.0)) if c > 0 else 0.0 for c in conversions]
    nulls = [draw(count) for _ in range(n_paths)]
    gaps = None
    if with_gaps:
        gap = st.floats(0.0, 90.0, allow_subnormal=False)
        gaps = [sorted((draw(gap) for _ in p), reverse=True) for p in paths]
    return Data(paths, conversions, value, nulls, gaps)


# -- 1. The spec's check vectors and rules ------------------------------------------------------


def test_markov_first_order_check_vector() -> None:
    credit = markov.markov(TOY.to_paths(), 1)
    assert credit.channels == ("A", "B", "C")
    assert credit.removal_conversions is not None and credit.removal_value is not None
    np.testing.assert_allclose(credit.removal_conversions, [4 / 9, 4 / 9, 1 / 2], atol=1e-12)
    np.testing.assert_allclose(credit.conversions, [0.96, 0.96, 1.08], atol=1e-12)
    value_re = np.array([25 / 51, 35 / 51, 3 / 8])
    np.testing.assert_allclose(credit.removal_value, value_re, atol=1e-12)
    np.testing.assert_allclose(credit.value, value_re / value_re.sum() * 17.0, atol=1e-12)
    assert credit.model == "markov"


def test_time_decay_check_vector() -> None:
    data = Data([["A", "B", "C", "D"]], [1.0], [100.0], [0.0], [[0.0, 0.0, 6.0, 9.0]])
    credit = heuristic.time_decay(data.to_paths(), 7.0)
    got = conversions_of(credit)
    assert_close(got, {"A": 0.338, "B": 0.338, "C": 0.186, "D": 0.138}, tol=1e-3)
    raw = {"A": 1.0, "B": 1.0, "C": 2 ** (-6 / 7), "D": 2 ** (-9 / 7)}
    total = sum(raw.values())
    assert_close(got, {c: w / total for c, w in raw.items()}, tol=1e-12)
    assert_close(value_of(credit), {c: 100 * w / total for c, w in raw.items()}, tol=1e-10)
    # The registry passes ModelOptions.half_life_days: a shorter half-life favours recent touches.
    short = conversions_of(MODELS["time_decay"](data.to_paths(), ModelOptions(half_life_days=1)))
    assert short["D"] == pytest.approx(2**-9 / (2 + 2**-6 + 2**-9), abs=1e-12)


def test_time_decay_needs_gaps_and_a_positive_half_life() -> None:
    with pytest.raises(AttributionError, match="touch times"):
        heuristic.time_decay(TOY.to_paths())
    timed = Data([["A"]], [1.0], [1.0], [0.0], [[1.0]]).to_paths()
    with pytest.raises(AttributionError, match="half_life"):
        heuristic.time_decay(timed, 0.0)


@pytest.mark.parametrize(
    ("model", "weights"),
    [
        ("position_based", (0.4, 0.2, 0.4)),
        ("u_shaped", (0.4, 0.2, 0.4)),
        ("j_shaped", (0.2, 0.2, 0.6)),
        ("inverse_j", (0.6, 0.2, 0.2)),
    ],
)
def test_position_based_rules_and_presets(model: str, weights: tuple[float, float, float]) -> None:
    f, m, last = weights
    opts = ModelOptions()
    assert one_path(["A"], opts, model) == pytest.approx({"A": 1.0})
    assert one_path(["A", "B"], opts, model) == pytest.approx(
        {"A": f / (f + last), "B": last / (f + last)}, abs=1e-12
    )
    assert one_path(["A", "B", "C"], opts, model) == pytest.approx(
        {"A": f, "B": m, "C": last}, abs=1e-12
    )
    assert one_path(["A", "B", "C", "D", "E"], opts, model) == pytest.approx(
        {"A": f, "B": m / 3, "C": m / 3, "D": m / 3, "E": last}, abs=1e-12
    )
    # A channel at several positions sums them: first and last both to A.
    assert one_path(["A", "B", "A"], opts, model) == pytest.approx(
        {"A": f + last, "B": m}, abs=1e-12
    )
    assert MODELS[model](TOY.to_paths(), opts).model == model


def test_position_based_custom_weights() -> None:
    opts = ModelOptions(position=(0.5, 0.3, 0.2))
    assert one_path(["A", "B"], opts, "position_based") == pytest.approx(
        {"A": 0.5 / 0.7, "B": 0.2 / 0.7}, abs=1e-12
    )
    assert one_path(["A", "B", "C", "D"], opts, "position_based") == pytest.approx(
        {"A": 0.5, "B": 0.15, "C": 0.15, "D": 0.2}, abs=1e-12
    )
    assert one_path(["Z"], opts, "position_based") == pytest.approx({"Z": 1.0})
    # The presets ignore ModelOptions.position.
    assert one_path(["A", "B", "C"], opts, "j_shaped") == pytest.approx(
        {"A": 0.2, "B": 0.2, "C": 0.6}, abs=1e-12
    )
    with pytest.raises(AttributionError, match="sum to 1"):
        heuristic.position_based(TOY.to_paths(), 0.5, 0.5, 0.5)
    with pytest.raises(AttributionError, match="non-negative"):
        heuristic.position_based(TOY.to_paths(), 1.2, -0.4, 0.2)


def test_linear_counts_repeats() -> None:
    p = Paths.from_lists([["A", "B", "A", "A"], ["B", "C", "C"]], [2.0, 3.0], [8.0, 6.0])
    credit = heuristic.linear(p)
    assert_close(conversions_of(credit), {"A": 1.5, "B": 0.5 + 1.0, "C": 2.0}, tol=1e-12)
    assert_close(value_of(credit), {"A": 6.0, "B": 2.0 + 2.0, "C": 4.0}, tol=1e-12)


def test_last_non_direct() -> None:
    opts = ModelOptions()
    assert opts.direct == ("Direct",)
    assert one_path(["Email", "Social", "Direct", "Direct"], opts, "last_non_direct") == {
        "Direct": 0.0,
        "Email": 0.0,
        "Social": 1.0,
    }
    assert one_path(["Direct", "Direct"], opts, "last_non_direct") == {"Direct": 1.0}
    assert one_path(["Email"], opts, "last_non_direct") == {"Email": 1.0}
    wider = ModelOptions(direct=("Direct", "Social"))
    assert one_path(["Email", "Social", "Direct"], wider, "last_non_direct") == {
        "Direct": 0.0,
        "Email": 1.0,
        "Social": 0.0,
    }
    assert one_path(["Direct", "Social"], wider, "last_non_direct") == {
        "Direct": 0.0,
        "Social": 1.0,
    }
    # Several paths at once: each its own choice, weighted by its conversions and value.
    p = Paths.from_lists(
        [["Direct", "Email", "Direct"], ["Direct"], ["Email", "Social"]],
        [1.0, 2.0, 4.0],
        [10.0, 20.0, 40.0],
    )
    credit = heuristic.last_non_direct(p)
    assert_close(conversions_of(credit), {"Direct": 2.0, "Email": 1.0, "Social": 4.0})
    assert_close(value_of(credit), {"Direct": 20.0, "Email": 10.0, "Social": 40.0})


def test_first_and_last_touch() -> None:
    p = Paths.from_lists([["A", "B", "C"], ["C", "A"], ["B"]], [1.0, 2.0, 0.5], [3.0, 5.0, 7.0])
    first, last = heuristic.first_touch(p), heuristic.last_touch(p)
    assert_close(conversions_of(first), {"A": 1.0, "B": 0.5, "C": 2.0})
    assert_close(value_of(first), {"A": 3.0, "B": 7.0, "C": 5.0})
    assert_close(conversions_of(last), {"A": 2.0, "B": 0.5, "C": 1.0})
    assert_close(value_of(last), {"A": 5.0, "B": 7.0, "C": 3.0})


def test_fractribution_hand_example() -> None:
    data = Data(
        paths=[
            ["A", "B"],  # P = 3/4; without A: P(B) = 1/2, without B: P(A) = 1/4 -> 1/3, 2/3
            ["A"],  # P(A) = (1 + 0) / (1 + 0 + 0 + 3) = 1/4, over its two rows
            ["A"],
            ["B"],  # P(B) = 1/2
            ["B", "A"],  # P = 1/10, both drops score higher: all 0 -> last touch A
            ["C", "A", "B"],  # P = 1/2; drop C: 3/4 -> 0; drop A, B: unseen -> 1/2 each
            ["D"],  # single touch -> 1
            ["A", "A"],  # P = 1/2; either drop gives A (1/4) -> 1/4 each -> A gets all
        ],
        conversions=[3.0, 1.0, 0.0, 1.0, 1.0, 2.0, 0.5, 1.0],
        value=[30.0, 4.0, 0.0, 2.0, 7.0, 8.0, 1.0, 6.0],
        nulls=[1.0, 0.0, 3.0, 1.0, 9.0, 2.0, 0.0, 1.0],
    )
    credit = shapley.fractribution(data.to_paths())
    assert_close(conversions_of(credit), {"A": 5.0, "B": 4.0, "C": 0.0, "D": 0.5}, tol=1e-12)
    assert_close(value_of(credit), {"A": 31.0, "B": 26.0, "C": 0.0, "D": 1.0}, tol=1e-12)


def test_check_names() -> None:
    with pytest.raises(AttributionError) as info:
        check_names(["linear", "nope"])
    message = str(info.value)
    assert "nope" in message
    assert all(name in message for name in MODELS)
    assert check_names(["markov", "linear", "markov"]) == ["markov", "linear"]


def test_run_models_in_the_order_asked_with_options() -> None:
    credits = run_models(TOY.to_paths(), ["shapley", "markov"], ModelOptions(order=2))
    assert [c.model for c in credits] == ["shapley", "markov_2"]
    with pytest.raises(AttributionError):
        run_models(TOY.to_paths(), ["nope"])


def test_markov_order_is_1_to_4() -> None:
    for order in (0, 5):
        with pytest.raises(ValueError, match="order"):
            markov.markov(TOY.to_paths(), order)


# -- 2. Properties over random paths -------------------------------------------------------------

TIMELESS = [m for m in MODELS if m != "time_decay"]


@PROPERTY
@given(path_data(with_gaps=True))
def test_every_model_conserves_conversions_and_value(data: Data) -> None:
    p = data.to_paths()
    total_conv, total_value = sum(data.conversions), sum(data.value)
    for name, model in MODELS.items():
        credit = model(p, ModelOptions())
        assert credit.channels == p.channels
        assert credit.conversions.sum() == pytest.approx(total_conv, abs=1e-9), name
        assert credit.value.sum() == pytest.approx(total_value, abs=1e-9), name
        assert np.all(np.isfinite(credit.conversions)) and np.all(np.isfinite(credit.value))


@PROPERTY
@given(path_data(), st.integers(1, 4))
def test_markov_of_any_order_conserves(data: Data, order: int) -> None:
    credit = markov.markov(data.to_paths(), order)
    assert credit.conversions.sum() == pytest.approx(sum(data.conversions), abs=1e-9)
    assert credit.value.sum() == pytest.approx(sum(data.value), abs=1e-9)
    assert credit.removal_conversions is not None
    assert np.all(credit.removal_conversions >= -1e-12)
    assert np.all(credit.removal_conversions <= 1 + 1e-12)


def reference_per_conversion(p: Paths, effect: Floats, rows: Floats, columns: Floats) -> Floats:
    """Iterative proportional fitting journey by journey (the plain form of markov.per_conversion,
    which fits distinct channel sets instead)."""
    n_ch = max(p.n_channels, 1)
    key = p.path_of_touch * n_ch + p.codes
    pairs, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    pair_path, pair_channel = pairs // n_ch, pairs % n_ch
    weight = effect[pair_channel] * (rows[pair_path] != 0)
    floor = 1e-12 * max(np.abs(rows).sum(), np.abs(columns).sum(), 1.0)
    error = np.inf
    for _ in range(200):
        row_sum = np.bincount(pair_path, weight, p.n_paths)
        weight *= np.divide(rows, row_sum, out=np.ones_like(rows), where=row_sum != 0)[pair_path]
        col_sum = np.bincount(pair_channel, weight, p.n_channels)
        weight *= np.divide(columns, col_sum, out=np.ones_like(columns), where=col_sum > floor)[
            pair_channel
        ]
        row_sum = np.bincount(pair_path, weight, p.n_paths)
        last, error = error, float(np.abs(row_sum - rows).max(initial=0.0))
        if error <= 1e-12 * max(np.abs(rows).sum(), 1.0) or error >= last * (1 - 1e-9):
            break
    result: Floats = weight[inverse.ravel()] / counts[inverse.ravel()]
    return result


@PROPERTY
@given(path_data())
def test_markov_per_conversion_fits_channel_sets_as_journeys(data: Data) -> None:
    p = data.to_paths()
    credit = markov.markov(p)
    assert credit.removal_conversions is not None
    for effect, rows, columns, per_touch in (
        (credit.removal_conversions, p.conversions, credit.conversions, credit.touch_conversions),
        (credit.removal_value, p.value, credit.value, credit.touch_value),
    ):
        assert effect is not None
        expected = reference_per_conversion(p, effect, rows, columns)
        assert per_touch == pytest.approx(expected, abs=1e-6 * max(rows.sum(), 1.0))


def test_markov_per_conversion_with_more_channels_than_bits() -> None:
    rng = np.random.default_rng(3)
    names = [f"c{i:02d}" for i in range(70)]
    paths = [list(rng.choice(names, int(rng.integers(1, 5)))) for _ in range(400)]
    conv = rng.integers(0, 2, 400).astype(float)
    p = Paths.from_lists(paths, list(conv), list(conv * 10), list(1 - conv))
    credit = markov.markov(p)
    assert credit.removal_conversions is not None
    expected = reference_per_conversion(
        p, credit.removal_conversions, p.conversions, credit.conversions
    )
    assert credit.touch_conversions == pytest.approx(expected, abs=1e-6)


def test_markov_without_any_conversion_gives_zeros() -> None:
    credit = markov.markov(Paths.from_lists([["A", "B"], ["B"]], [0.0, 0.0], None, [1.0, 2.0]))
    assert credit.removal_conversions is not None and credit.removal_value is not None
    for arr in (credit.conversions, credit.value, credit.removal_conversions):
        assert np.all(arr == 0.0)


@PROPERTY
@given(path_data(with_gaps=True), st.permutations(NAMES))
def test_renaming_channels_permutes_the_results(data: Data, perm: list[str]) -> None:
    mapping = dict(zip(NAMES, perm, strict=True))
    before, after = data.to_paths(), data.renamed(mapping).to_paths()
    for name, model in MODELS.items():
        for order in (1, 2) if name == "markov" else (1,):
            opts = ModelOptions(order=order)
            renamed_opts = dataclasses.replace(opts, direct=(mapping["Direct"],))
            old, new = model(before, opts), model(after, renamed_opts)
            got_c, got_v = conversions_of(new), value_of(new)
            want_c = {mapping[c]: v for c, v in conversions_of(old).items()}
            want_v = {mapping[c]: v for c, v in value_of(old).items()}
            assert_close(got_c, want_c)
            assert_close(got_v, want_v)


@PROPERTY
@given(path_data())
def test_first_and_last_touch_follow_the_path_ends(data: Data) -> None:
    p = data.to_paths()
    for credit, end in ((heuristic.first_touch(p), 0), (heuristic.last_touch(p), -1)):
        conv: PerChannel = defaultdict(float)
        val: PerChannel = defaultdict(float)
        for path, c, v in zip(data.paths, data.conversions, data.value, strict=True):
            conv[path[end]] += c
            val[path[end]] += v
        assert_close(conversions_of(credit), conv)
        assert_close(value_of(credit), val)


def reference_heuristics(data: Data, opts: ModelOptions) -> dict[str, PerChannel]:
    """Per-touch rules of the spec, one path at a time, conversions only."""
    out: dict[str, PerChannel] = defaultdict(lambda: defaultdict(float))
    f, m, last = opts.position
    for i, (path, c) in enumerate(zip(data.paths, data.conversions, strict=True)):
        n = len(path)
        non_direct = [k for k, ch in enumerate(path) if ch not in opts.direct]
        out["last_non_direct"][path[non_direct[-1] if non_direct else -1]] += c
        for k, ch in enumerate(path):
            out["linear"][ch] += c / n
            if n == 1:
                share = 1.0
            elif n == 2:
                share = (f if k == 0 else last) / (f + last)
            else:
                share = f if k == 0 else last if k == n - 1 else m / (n - 2)
            out["position_based"][ch] += c * share
        if data.gaps is not None:
            w = [2 ** (-g / opts.half_life_days) for g in data.gaps[i]]
            for ch, wk in zip(path, w, strict=True):
                out["time_decay"][ch] += c * wk / sum(w)
    return out


@PROPERTY
@given(
    path_data(with_gaps=True),
    st.sampled_from([(0.4, 0.2, 0.4), (0.1, 0.6, 0.3), (0.5, 0.0, 0.5)]),
    st.sampled_from([("Direct",), ("Direct", "Email"), ()]),
    st.sampled_from([1.0, 7.0, 30.0]),
)
def test_heuristics_match_the_rules(
    data: Data, position: tuple[float, float, float], direct: tuple[str, ...], half_life: float
) -> None:
    opts = ModelOptions(direct=direct, half_life_days=half_life, position=position)
    want = reference_heuristics(data, opts)
    for name, expected in want.items():
        assert_close(conversions_of(MODELS[name](data.to_paths(), opts)), expected)


@PROPERTY
@given(path_data(with_gaps=True), st.lists(st.floats(0.0, 1000.0), min_size=30, max_size=30))
def test_time_decay_ignores_a_shift_of_a_paths_gaps(data: Data, shifts: list[float]) -> None:
    assert data.gaps is not None
    shifted = dataclasses.replace(
        data, gaps=[[g + s for g in gaps] for gaps, s in zip(data.gaps, shifts, strict=False)]
    )
    for h in (1.0, 7.0):
        before = heuristic.time_decay(data.to_paths(), h)
        after = heuristic.time_decay(shifted.to_paths(), h)
        np.testing.assert_allclose(after.conversions, before.conversions, atol=1e-9)
        np.testing.assert_allclose(after.value, before.value, atol=1e-9)


def reference_fractribution(data: Data) -> tuple[PerChannel, PerChannel]:
    seen: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for path, c, n in zip(data.paths, data.conversions, data.nulls, strict=True):
        seen[tuple(path)][0] += c
        seen[tuple(path)][1] += n

    def rate(t: tuple[str, ...]) -> float:
        c, n = seen.get(t, (0.0, 0.0))
        return c / (c + n) if c + n > 0 else 0.0

    conv: PerChannel = defaultdict(float)
    val: PerChannel = defaultdict(float)
    for path, c, v in zip(data.paths, data.conversions, data.value, strict=True):
        t = tuple(path)
        if len(t) == 1:
            shares = [1.0]
        else:
            raw = [max(rate(t) - rate(t[:i] + t[i + 1 :]), 0.0) for i in range(len(t))]
            total = sum(raw)
            shares = [r / total for r in raw] if total > 0 else [0.0] * (len(t) - 1) + [1.0]
        for ch, s in zip(t, shares, strict=True):
            conv[ch] += c * s
            val[ch] += v * s
    return conv, val


@PROPERTY
@given(path_data(max_channels=3))
def test_fractribution_matches_a_reference(data: Data) -> None:
    # Few channels, so that shortened paths are often seen paths.
    conv, val = reference_fractribution(data)
    credit = shapley.fractribution(data.to_paths())
    assert_close(conversions_of(credit), conv)
    assert_close(value_of(credit), val)


# -- 3. Exact Markov against independent computations -------------------------------------------


def states_of(path: Sequence[str], order: int) -> list[tuple[str, ...]]:
    """The spec's states of a path: windows of `order` channels (a shorter path is one state),
    consecutive identical states collapsed."""
    if len(path) < order:
        raw = [tuple(path)]
    else:
        raw = [tuple(path[i : i + order]) for i in range(len(path) - order + 1)]
    return [s for k, s in enumerate(raw) if k == 0 or s != raw[k - 1]]


@dataclass
class DenseChain:
    """Transient states (0 = start), row-normalised: q among them, conv / null absorption."""

    states: list[tuple[str, ...]]
    q: Floats
    conv: Floats
    null: Floats
    mean_value: Floats

    @classmethod
    def build(cls, data: Data, order: int) -> DenseChain:
        walks = [states_of(p, order) for p in data.paths]
        states: list[tuple[str, ...]] = [()]
        index: dict[tuple[str, ...], int] = {(): 0}
        for walk in walks:
            for s in walk:
                if s not in index:
                    index[s] = len(states)
                    states.append(s)
        n = len(states)
        counts = np.zeros((n, n))
        conv, null, value = np.zeros(n), np.zeros(n), np.zeros(n)
        rows = zip(walks, data.conversions, data.nulls, data.value, strict=True)
        for walk, c, nl, v in rows:
            seq = [0] + [index[s] for s in walk]
            for a, b in itertools.pairwise(seq):
                counts[a, b] += c + nl
            conv[seq[-1]] += c
            null[seq[-1]] += nl
            value[seq[-1]] += v
        out = counts.sum(axis=1) + conv + null
        scale = np.where(out > 0, 1.0 / np.where(out > 0, out, 1.0), 0.0)
        mean_value = np.where(conv > 0, value / np.where(conv > 0, conv, 1.0), 0.0)
        return cls(states, counts * scale[:, None], conv * scale, null * scale, mean_value)

    def without(self, channel: str | None) -> Floats:
        """Q with every transition into a state containing `channel` sent to null."""
        if channel is None:
            return self.q
        hit = np.array([channel in s for s in self.states])
        return np.where(hit[None, :], 0.0, self.q)

    def converting_via(self, channel: str | None = None) -> Floats:
        """Per state j, P(a walk from start converts with j as its last step): dense solve."""
        q = self.without(channel)
        start = np.zeros(len(self.states))
        start[0] = 1.0
        visits = np.linalg.solve((np.eye(len(self.states)) - q).T, start)
        return np.asarray(visits * self.conv, dtype=np.float64)

    def walk_sum(self, channel: str | None = None, steps: int = 20_000) -> float:
        """P(conversion) as the sum over walks of every length, until the mass left is ~0."""
        q = self.without(channel)
        mass = np.zeros(len(self.states))
        mass[0] = 1.0
        absorbed = 0.0
        for _ in range(steps):
            absorbed += float(mass @ self.conv)
            mass = mass @ q
            if mass.sum() < 1e-16:
                break
        assert mass.sum() < 1e-12, "walks did not end"
        return absorbed


@dataclass
class Reference:
    removal: PerChannel
    removal_value: PerChannel
    conversions: PerChannel
    value: PerChannel


def reference_markov(data: Data, order: int) -> Reference:
    chain = DenseChain.build(data, order)
    base = chain.converting_via()
    p = base.sum()
    weighted = float((chain.mean_value * base).sum())
    removal: PerChannel = {}
    removal_value: PerChannel = {}
    for c in data.channels:
        without = chain.converting_via(c)
        removal[c] = 1 - without.sum() / p if p > 0 else 0.0
        removal_value[c] = (
            float((chain.mean_value * (base - without)).sum()) / weighted if weighted else 0.0
        )
    total_re, total_vre = sum(removal.values()), sum(removal_value.values())
    conv = {c: r / total_re * sum(data.conversions) for c, r in removal.items()}
    val = {
        c: r / total_vre * sum(data.value) if total_vre else 0.0 for c, r in removal_value.items()
    }
    return Reference(removal, removal_value, conv, val)


def check_markov(data: Data, order: int, tol: float = 1e-9) -> None:
    credit = markov.markov(data.to_paths(), order)
    want = reference_markov(data, order)
    assert credit.removal_conversions is not None and credit.removal_value is not None
    assert_close(by_channel(credit.channels, credit.removal_conversions), want.removal, tol)
    assert_close(by_channel(credit.channels, credit.removal_value), want.removal_value, tol)
    assert_close(conversions_of(credit), want.conversions, tol)
    assert_close(value_of(credit), want.value, tol)


def test_reference_chain_reproduces_the_spec_check() -> None:
    want = reference_markov(TOY, 1)
    assert_close(want.removal, {"A": 4 / 9, "B": 4 / 9, "C": 1 / 2}, 1e-12)
    assert_close(want.removal_value, {"A": 25 / 51, "B": 35 / 51, "C": 3 / 8}, 1e-12)


@PROPERTY
@given(path_data(), st.integers(1, 4))
def test_markov_matches_a_dense_solve(data: Data, order: int) -> None:
    check_markov(data, order)


def test_markov_matches_sums_over_walks() -> None:
    rng = np.random.default_rng(20240611)
    for trial in range(6):
        n_paths = 25
        names = NAMES[: 2 + trial % 4]
        paths = [
            [str(c) for c in rng.choice(names, size=rng.integers(1, 6))] for _ in range(n_paths)
        ]
        conv = [float(x) for x in rng.integers(0, 4, n_paths)]
        conv[0] = 1.0
        nulls = [float(x) for x in rng.integers(0, 4, n_paths)]
        data = Data(paths, conv, [3.0 * c for c in conv], nulls)
        order = 1 + trial % 3
        chain = DenseChain.build(data, order)
        p = chain.walk_sum()
        exact = markov.Chain(data.to_paths(), order)
        assert float(exact.conversions_via().sum()) == pytest.approx(p, abs=1e-12)
        credit = markov.markov(data.to_paths(), order)
        assert credit.removal_conversions is not None
        for i, c in enumerate(credit.channels):
            p_without = chain.walk_sum(c)
            assert float(exact.conversions_via(i).sum()) == pytest.approx(p_without, abs=1e-12)
            assert credit.removal_conversions[i] == pytest.approx(1 - p_without / p, abs=1e-10)


def simulate(
    chain: DenseChain, walks: int, seed: int
) -> tuple[NDArray[np.bool_], NDArray[np.int64], Floats]:
    """Walks from start: (converted, channels touched as a bit mask, last state's mean value)."""
    rng = np.random.default_rng(seed)
    n = len(chain.states)
    names = sorted({c for s in chain.states for c in s})
    bits = np.array([sum(1 << names.index(c) for c in set(s)) for s in chain.states])
    cum = np.cumsum(np.hstack([chain.q, chain.conv[:, None], chain.null[:, None]]), axis=1)
    state = np.zeros(walks, dtype=np.int64)
    touched = np.zeros(walks, dtype=np.int64)
    converted = np.zeros(walks, dtype=bool)
    last_value = np.zeros(walks)
    active = np.arange(walks)
    while len(active):
        u = rng.random(len(active))
        nxt = (cum[state[active]] < u[:, None]).sum(axis=1)
        nxt = np.minimum(nxt, n + 1)  # rounding in the cumulative sum
        won = nxt == n
        converted[active[won]] = True
        last_value[active[won]] = chain.mean_value[state[active[won]]]
        moving = nxt < n
        active = active[moving]
        state[active] = nxt[moving]
        touched[active] |= bits[nxt[moving]]
    return converted, touched, last_value


def test_markov_agrees_with_a_monte_carlo_simulation() -> None:
    walks = 200_000
    data = dataclasses.replace(
        TOY,
        paths=[*TOY.paths, ["A", "C", "A", "B"]],
        conversions=[*TOY.conversions, 2.0],
        value=[*TOY.value, 30.0],
        nulls=[*TOY.nulls, 1.0],
    )
    chain = DenseChain.build(data, 1)
    converted, touched, last_value = simulate(chain, walks, seed=7)
    credit = markov.markov(data.to_paths(), 1)
    assert credit.removal_conversions is not None and credit.removal_value is not None
    p = float(markov.Chain(data.to_paths(), 1).conversions_via().sum())
    p_hat = converted.mean()
    assert abs(p_hat - p) < 4 * math.sqrt(p * (1 - p) / walks)
    hits = int(converted.sum())
    names = sorted(data.channels)
    for i, c in enumerate(credit.channels):
        via = converted & ((touched >> names.index(c)) & 1).astype(bool)
        # Removing c loses exactly the converting walks that touched c; given the converting
        # walks, that share is binomial.
        share = float(credit.removal_conversions[i])
        assert abs(via.sum() / hits - share) < 4 * math.sqrt(share * (1 - share) / hits), c
        value_share = float(credit.removal_value[i])
        value_hat = last_value[via].sum() / last_value[converted].sum()
        assert value_hat == pytest.approx(value_share, abs=0.01), c


def test_markov_order_2_hand_example() -> None:
    # Order 2 states: AB, BC and A (a path shorter than 2). start -> AB 2/5, BC 1/5, A 2/5;
    # AB -> BC 1/2, null 1/2; BC -> conversion; A -> conversion. p = 1/5 + 1/5 + 2/5 = 4/5.
    # Without A (AB, A): 1/5; without B (AB, BC): 2/5; without C (BC): 2/5.
    data = Data(
        [["A", "B", "C"], ["A", "B"], ["B", "C"], ["A"]],
        [1.0, 0.0, 1.0, 2.0],
        [6.0, 0.0, 2.0, 2.0],
        [0.0, 1.0, 0.0, 0.0],
    )
    credit = markov.markov(data.to_paths(), 2)
    assert credit.model == "markov_2"
    assert credit.removal_conversions is not None and credit.removal_value is not None
    np.testing.assert_allclose(credit.removal_conversions, [3 / 4, 1 / 2, 1 / 2], atol=1e-12)
    np.testing.assert_allclose(credit.conversions, [12 / 7, 8 / 7, 8 / 7], atol=1e-12)
    # Value: mean 4 at BC (1/5 + 1/5 of the walks), 1 at A (2/5): total 8/5 + 2/5 = 2.
    # Without A: BC via start only, 4/5; without B: A only, 2/5; without C: 2/5.
    np.testing.assert_allclose(credit.removal_value, [1 - 0.8 / 2, 1 - 0.4 / 2, 0.8], atol=1e-12)
    vre = np.array([0.6, 0.8, 0.8])
    np.testing.assert_allclose(credit.value, vre / vre.sum() * 10.0, atol=1e-12)
    # The same paths at order 1 differ: A's removal effect is 1 - (2/15) / (4/5) = 5/6.
    first = markov.markov(data.to_paths(), 1)
    assert first.removal_conversions is not None
    assert first.removal_conversions[0] == pytest.approx(5 / 6, abs=1e-12)
    check_markov(data, 2, 1e-12)


def test_markov_higher_orders_collapse_repeated_windows() -> None:
    # A > A > A > B at order 2: AA, AA, AB -> AA, AB; at order 3: AAA, AAB.
    data = Data(
        [["A", "A", "A", "B"], ["A", "A"], ["B", "A"]],
        [1.0, 1.0, 0.0],
        [5.0, 1.0, 0.0],
        [1.0, 0.0, 2.0],
    )
    for order in (1, 2, 3, 4):
        check_markov(data, order, 1e-12)


# -- 4. Shapley against subset enumeration -------------------------------------------------------


def coalition_values(data: Data) -> dict[frozenset[str], float]:
    seen: dict[frozenset[str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for path, c, n in zip(data.paths, data.conversions, data.nulls, strict=True):
        seen[frozenset(path)][0] += c
        seen[frozenset(path)][1] += n
    return {s: c / (c + n) if c + n > 0 else 0.0 for s, (c, n) in seen.items()}


def shares_by_subsets(big: frozenset[str], v: dict[frozenset[str], float]) -> PerChannel:
    """The spec's formula over every non-empty subset S of N (itertools), renormalised."""
    n = len(big)
    phi: PerChannel = dict.fromkeys(big, 0.0)
    for size in range(1, n + 1):
        w_in = math.factorial(size - 1) * math.factorial(n - size) / math.factorial(n)
        w_out = (
            math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            if size < n
            else 0.0
        )
        for subset in itertools.combinations(sorted(big), size):
            vs = v.get(frozenset(subset), 0.0)
            for i in big:
                phi[i] += w_in * vs if i in subset else -w_out * vs
    total = sum(phi.values())
    return {i: x / total for i, x in phi.items()}


def shares_by_masks(big: frozenset[str], v: dict[frozenset[str], float]) -> PerChannel:
    """The same over all 2^n subsets as bit masks, in numpy (for n around 20)."""
    members = sorted(big)
    n = len(members)
    masks = np.arange(1 << n, dtype=np.int64)
    values = np.zeros(1 << n)
    for s, vs in v.items():
        if s <= big:
            values[sum(1 << members.index(c) for c in s)] = vs
    sizes = np.bitwise_count(masks).astype(np.int64)
    fact = [math.factorial(k) for k in range(n + 1)]
    w_in = np.array([fact[s - 1] * fact[n - s] / fact[n] if s else 0.0 for s in range(n + 1)])
    w_out = np.array([fact[s] * fact[n - s - 1] / fact[n] if s < n else 0.0 for s in range(n + 1)])
    phi = {}
    for k, c in enumerate(members):
        inside = ((masks >> k) & 1).astype(bool)
        phi[c] = float(np.where(inside, w_in[sizes], -w_out[sizes]) @ values)
    total = sum(phi.values())
    return {i: x / total for i, x in phi.items()}


def reference_shapley(data: Data, max_itertools: int = 10) -> tuple[PerChannel, PerChannel]:
    v = coalition_values(data)
    by_set: dict[frozenset[str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for path, c, val in zip(data.paths, data.conversions, data.value, strict=True):
        by_set[frozenset(path)][0] += c
        by_set[frozenset(path)][1] += val
    conv: PerChannel = defaultdict(float)
    value: PerChannel = defaultdict(float)
    for big, (c, val) in by_set.items():
        if c <= 0:
            continue
        enumerate_ = shares_by_subsets if len(big) <= max_itertools else shares_by_masks
        for i, share in enumerate_(big, v).items():
            conv[i] += c * share
            value[i] += val * share
    return conv, value


@PROPERTY
@given(path_data())
def test_shapley_matches_subset_enumeration(data: Data) -> None:
    conv, value = reference_shapley(data)
    credit = shapley.shapley(data.to_paths())
    assert_close(conversions_of(credit), conv)
    assert_close(value_of(credit), value)


def test_shapley_hand_example() -> None:
    # v({A}) = 1/2, v({B}) = 0, v({A, B}) = 1: phi_A = 1/2 v(A) + 1/2 (v(AB) - v(B)) = 3/4,
    # phi_B = 1/2 v(B) + 1/2 (v(AB) - v(A)) = 1/4.
    data = Data(
        paths=[["A"], ["A"], ["B"], ["A", "B", "A"]],
        conversions=[1.0, 0.0, 0.0, 2.0],
        value=[4.0, 0.0, 0.0, 8.0],
        nulls=[0.0, 1.0, 1.0, 0.0],
    )
    credit = shapley.shapley(data.to_paths())
    assert_close(conversions_of(credit), {"A": 1 + 1.5, "B": 0.5}, tol=1e-12)
    assert_close(value_of(credit), {"A": 4 + 6.0, "B": 2.0}, tol=1e-12)


def test_shapley_with_20_channels_is_fast_and_exact() -> None:
    rng = np.random.default_rng(5)
    names = [f"ch{k:02d}" for k in range(20)]
    paths = [[str(c) for c in rng.choice(names, size=rng.integers(1, 7))] for _ in range(1500)]
    everything = [*names, names[0]]
    paths += [everything, everything[::-1], names[:10], names[10:]]
    n = len(paths)
    conversions = [float(x) for x in rng.integers(0, 3, n)]
    conversions[-4:] = [3.0, 1.0, 2.0, 1.0]
    nulls = [float(x) for x in rng.integers(0, 3, n)]
    value = [c * float(rng.uniform(1, 50)) for c in conversions]
    data = Data(paths, conversions, value, nulls)
    started = time.perf_counter()
    credit = shapley.shapley(data.to_paths())
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0
    conv, val = reference_shapley(data)
    assert_close(conversions_of(credit), conv)
    assert_close(value_of(credit), val)
    assert credit.conversions.sum() == pytest.approx(sum(conversions), abs=1e-9)


def test_shapley_keeps_value_of_sets_that_never_convert() -> None:
    paths = Paths.from_lists([["A"], ["B"]], [1, 0], value=[2, 5], nulls=[0, 1])
    credit = shapley.shapley(paths)
    assert credit.value.sum() == pytest.approx(7.0)
    assert credit.conversions.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_the_sparse_and_the_dense_markov_solves_agree(
    order: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chains of up to DENSE_STATES states are solved densely, larger ones with a sparse LU:
    both give the same removal effects and credit."""
    rng = np.random.default_rng(order)
    paths = [[str(c) for c in rng.choice(NAMES, rng.integers(1, 6))] for _ in range(300)]
    conv = [float(x) for x in rng.integers(0, 3, len(paths))]
    data = Data(paths, conv, [2.5 * c for c in conv], [float(x) for x in rng.integers(0, 4, 300)])
    monkeypatch.setattr(markov, "DENSE_STATES", 10**6)
    assert markov.Chain(data.to_paths(), order).dense
    dense = markov.markov(data.to_paths(), order)
    monkeypatch.setattr(markov, "DENSE_STATES", 0)
    assert not markov.Chain(data.to_paths(), order).dense
    sparse = markov.markov(data.to_paths(), order)
    assert dense.removal_conversions is not None and sparse.removal_conversions is not None
    np.testing.assert_allclose(sparse.removal_conversions, dense.removal_conversions, atol=1e-12)
    np.testing.assert_allclose(sparse.conversions, dense.conversions, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sparse.value, dense.value, rtol=1e-12, atol=1e-9)
