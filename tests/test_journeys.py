"""Journeys from the warehouse, path transforms, and stored runs."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest

from attribution.engine import journeys, runs
from attribution.engine.runs import RunSpec, run
from attribution.errors import AttributionError
from attribution.models import ModelOptions
from attribution.models import transforms as T
from attribution.models.paths import Paths
from attribution.service.pipeline import Pipeline

from .conftest import write_csv

START, END = datetime(2026, 3, 1), datetime(2026, 4, 1)


def as_text(paths: Paths) -> list[str]:
    return [
        " > ".join(paths.channels[c] for c in paths.codes[a:b])
        for a, b in zip(paths.offsets[:-1], paths.offsets[1:], strict=True)
    ]


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        (["exposure"], "a > Direct > a > Direct"),
        (["first"], "a > Direct"),
        (["remove_if_not_all(Direct)"], "a > a > a > a"),
        (["remove_if_last_and_not_all(Direct)"], "a > a > a > Direct > a"),
        (["trim_long_path(3)"], "a > Direct > Direct"),
        (["trim_long_path(0)"], "a > a > a > Direct > a > Direct > Direct"),
        (["unique"], "a > a > a > Direct > a > Direct > Direct"),
        (["exposure", "trim_long_path(3)"], "Direct > a > Direct"),
        (["frequency"], "a(4) > Direct(3)"),
    ],
)
def test_the_spec_transform_table(specs: list[str], expected: str) -> None:
    paths = Paths.from_lists(
        [["a", "a", "a", "Direct", "a", "Direct", "Direct"], ["Direct", "Direct"]], [1, 1]
    )
    result = T.apply(paths, specs)
    assert as_text(result)[0] == expected
    # an all-Direct path stays
    assert as_text(result)[1] in ("Direct > Direct", "Direct", "Direct(2)")


def test_an_unknown_transform_names_the_valid_ones() -> None:
    paths = Paths.from_lists([["a"]], [1])
    with pytest.raises(AttributionError, match="remove_if_not_all"):
        T.apply(paths, ["frobnicate"])


def load(pipe: Pipeline, tmp_path: Path) -> None:
    """Lead A converts on 03-20 10:00; lead B does not convert."""
    leads = write_csv(
        tmp_path / "l.csv",
        ["lead_id", "created_at", "source"],
        [["A", "2026-03-10T09:00:00Z", "Google"], ["B", "2026-03-25T09:00:00Z", "Facebook"]],
    )
    touches = write_csv(
        tmp_path / "t.csv",
        ["lead_id", "occurred_at", "channel"],
        [
            ["A", "2026-02-01T00:00:00Z", "Display"],  # before the 30-day lookback
            ["A", "2026-03-05T00:00:00Z", "Email"],
            ["A", "2026-03-20T10:00:00Z", "Referral"],  # at the conversion: never counts
            ["A", "2026-03-21T00:00:00Z", "Direct"],  # after it: never counts
            ["B", "2026-02-15T00:00:00Z", "Email"],  # before the non-converting window
            ["B", "2026-03-26T00:00:00Z", "Organic Search"],
        ],
    )
    revenue = write_csv(
        tmp_path / "r.csv",
        ["event_id", "lead_id", "occurred_at", "amount"],
        [["D1", "A", "2026-03-20T10:00:00Z", "100"]],
    )
    for kind, path in (("leads", leads), ("touches", touches), ("revenue", revenue)):
        pipe.ingest(kind, path)


def test_windows_keep_only_touches_inside_the_lookback(pipe: Pipeline, tmp_path: Path) -> None:
    load(pipe, tmp_path)
    with pipe.warehouse.cursor() as cur:
        found = journeys.build(cur, start=START, end=END, lookback_days=30)
        ids = cur.con.execute("SELECT conversion_id, conversion_rank FROM run_conversions")
        assert ids.fetchall() == [("D1", 1)]
    assert as_text(found.paths) == [
        "Email > Paid Search",  # A: the Email touch, then its creation (a Google lead)
        "Paid Social > Organic Search",  # B: created 03-25 (Facebook), then organic
    ]
    assert (found.converting, found.non_converting) == (1, 1)
    assert found.conversion_ranks.tolist() == [1]
    assert (found.touches_after_conversion, found.touches_too_early) == (2, 1)
    assert found.paths.gaps is not None
    assert found.paths.gaps[:2].tolist() == pytest.approx([15 + 10 / 24, 10 + 1 / 24])
    assert found.paths.value.tolist() == [100.0, 0.0]


def test_a_shorter_lookback_drops_older_touches(pipe: Pipeline, tmp_path: Path) -> None:
    load(pipe, tmp_path)
    with pipe.warehouse.cursor() as cur:
        found = journeys.build(cur, start=START, end=END, lookback_days=12)
    assert as_text(found.paths)[0] == "Paid Search"


def test_runs_are_stored_and_repeatable(pipe: Pipeline, tmp_path: Path) -> None:
    load(pipe, tmp_path)
    spec = RunSpec(
        start=START, end=END, models=("first_touch", "linear", "markov"), options=ModelOptions()
    )
    first, second = run(pipe.warehouse, spec), run(pipe.warehouse, spec)
    assert first.input_hash == second.input_hash
    stored = [
        pipe.warehouse.records("runs/channel_credits", {"run_id": r.run_id})
        for r in (first, second)
    ]
    assert stored[0] == stored[1]
    linear = {
        r["channel"]: r["conversions"]
        for r in stored[0]
        if r["model"] == "linear" and r["conversions"]
    }
    assert linear == {"Email": 0.5, "Paid Search": 0.5}
    for model in ("first_touch", "linear", "markov"):
        total = sum(r["conversions"] for r in stored[0] if r["model"] == model)
        assert total == pytest.approx(1.0, abs=1e-9)
    other = run(pipe.warehouse, RunSpec(start=START, end=END, lookback_days=12))
    assert other.input_hash != first.input_hash


def test_an_unknown_transform_is_refused_before_the_run_reads_anything(
    pipe: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(pipe, tmp_path)
    built: list[object] = []
    monkeypatch.setattr(journeys, "build", lambda *a, **k: built.append(a))
    bad = RunSpec(start=START, end=END, transforms=("frobnicate",), options=ModelOptions())
    with pytest.raises(AttributionError, match="unknown transform 'frobnicate'"):
        run(pipe.warehouse, bad)
    assert built == []


def test_a_run_failing_after_its_writer_started_stores_nothing_and_frees_the_lock(
    pipe: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer starts storing a run as soon as its journeys are built: an error after that
    (here the distinct paths failing) rolls it back and lets the next write through."""
    load(pipe, tmp_path)

    def broken(paths: Paths) -> None:
        raise RuntimeError("no memory for the distinct paths")

    with monkeypatch.context() as patched:
        patched.setattr(runs, "ByPath", broken)
        with pytest.raises(RuntimeError, match="no memory"):
            run(pipe.warehouse, RunSpec(start=START, end=END))
    done: list[int] = []
    writer = threading.Thread(
        target=lambda: done.append(run(pipe.warehouse, RunSpec(start=START, end=END)).run_id)
    )
    writer.start()
    writer.join(timeout=60)
    assert done, "the next run waited for the failed run's write lock"
    stored = pipe.warehouse.con.execute("SELECT run_id FROM attribution_runs").fetchall()
    assert stored == [(done[0],)]


def test_drill_down_sums_to_the_channel_totals(pipe: Pipeline, tmp_path: Path) -> None:
    load(pipe, tmp_path)
    more = write_csv(
        tmp_path / "r2.csv",
        ["event_id", "lead_id", "occurred_at", "amount"],
        [["D2", "B", "2026-03-28T10:00:00Z", "40"]],
    )
    pipe.ingest("revenue", more)
    models = ("first_touch", "linear", "time_decay", "markov", "shapley", "fractribution")
    result = run(pipe.warehouse, RunSpec(start=START, end=END, models=models))
    con = pipe.warehouse.con
    for model in models:
        channel = dict(
            con.execute(
                "SELECT channel, conversions FROM channel_credits WHERE run_id = $r AND model = $m",
                {"r": result.run_id, "m": model},
            ).fetchall()
        )
        by_conversion = dict(
            con.execute(
                "SELECT channel, sum(conversions) FROM conversion_credits "
                "WHERE run_id = $r AND model = $m GROUP BY channel",
                {"r": result.run_id, "m": model},
            ).fetchall()
        )
        for name, total in channel.items():
            assert by_conversion.get(name, 0.0) == pytest.approx(total, abs=1e-9), (model, name)
        per_conversion = con.execute(
            "SELECT r.conversion_id, sum(c.conversions), sum(c.value) FROM conversion_credits c "
            "JOIN run_conversion_ids r USING (run_id, conversion_no) "
            "WHERE c.run_id = $r AND c.model = $m GROUP BY 1 ORDER BY 1",
            {"r": result.run_id, "m": model},
        ).fetchall()
        assert [(c, round(n, 9), round(v, 9)) for c, n, v in per_conversion] == [
            ("D1", 1.0, 100.0),
            ("D2", 1.0, 40.0),
        ], model
        sources = con.execute(
            "SELECT s.name, c.conversions FROM source_credits c "
            "LEFT JOIN lead_sources s ON s.id = c.source_id "
            "WHERE run_id = $r AND model = $m ORDER BY 1",
            {"r": result.run_id, "m": model},
        ).fetchall()
        assert sum(n for _, n in sources) == pytest.approx(2.0, abs=1e-9)
    first = con.execute(
        "SELECT s.name, c.conversions FROM source_credits c "
        "LEFT JOIN lead_sources s ON s.id = c.source_id "
        "WHERE run_id = $r AND model = 'first_touch' AND c.conversions > 0 ORDER BY 1 NULLS LAST",
        {"r": result.run_id},
    ).fetchall()
    # A's first touch is the Email touch (no source); B's is its creation (Facebook).
    assert first == [("Facebook", 1.0), (None, 1.0)]
