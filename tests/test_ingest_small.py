"""The small-upload path of a leads file (ingest/small.py) stores exactly what the bulk path
stores for the same input: the same leads with the same keys, the same rejected rows and
reasons, the same batch records; and re-loads dedupe across the two paths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from attribution.ingest.loader import BatchSummary, Ingestor
from attribution.registry.schemas import SourceUpdate
from attribution.registry.sources import create_source
from attribution.service.pipeline import Pipeline
from attribution.warehouse import connection

from .conftest import MakeSettings, Migrated, write_csv

SMALL, BULK = 65_536, 0  # ingest.small_upload_bytes of each path
WEB = "3"  # the id of the source 'Web' the tests add (the registry starts with two)


def source(pipe: Pipeline, name: str) -> int:
    fields, errors = SourceUpdate.parse({"name": name}, creating=True)
    assert not errors
    return create_source(pipe.warehouse, fields=fields)


@pytest.fixture
def pair(make_settings: MakeSettings, migrated: Migrated, tmp_path: Path) -> Iterator[Any]:
    """Two warehouses with the same registry and a source named 'Web' of the same id, WEB."""
    pipes = []
    for folder in ("a", "b"):
        settings = migrated(
            make_settings(
                warehouse={"path": str(tmp_path / folder / "wh.duckdb")},
                registry={"default_source": "Web"},
                ingest={"unknown_sources": "reject"},
            )
        )
        pipe = Pipeline.open(settings)
        assert str(source(pipe, "Web")) == WEB
        pipes.append(pipe)
    yield pipes
    for pipe in pipes:
        pipe.close()


def load(pipe: Pipeline, path: Path, small_bytes: int, fmt: str = "auto") -> BatchSummary:
    ingestor = Ingestor(pipe.warehouse, pipe.settings, small_bytes=small_bytes)
    return ingestor.ingest_file("leads", path, requested_format=fmt)


def stored(pipe: Pipeline) -> dict[str, list[tuple[Any, ...]]]:
    """Every row an ingest writes, in a fixed order (a batch's times aside)."""
    con = pipe.warehouse.con
    return {
        "leads": con.execute("SELECT * FROM leads ORDER BY lead_id").fetchall(),
        "rejected": con.execute(
            "SELECT * FROM rejected_rows ORDER BY batch_id, row_number"
        ).fetchall(),
        "batches": con.execute(
            "SELECT * EXCLUDE (started_at, finished_at) FROM ingest_batches ORDER BY batch_id"
        ).fetchall(),
    }


def same(a: BatchSummary, b: BatchSummary) -> None:
    left, right = a.as_dict(), b.as_dict()
    left.pop("seconds"), right.pop("seconds")
    assert left == right


HEADER = ["lead_id", "created_at", "source_id", "source", "status", "value", "email", "junk"]
FIRST = [
    ["A", "2026-03-02 10:00:00", WEB, "", "open", "10.5", "X@Example.com ", ""],
    ["B", "2026-03-02T11:00:00+02:00", "", "web", "", "", "", "true"],
    ["C", "not a time", "", "", "", "-3", "", "maybe"],  # three reasons
    ["D", "2026-03-03", "77", "", "", "", "", ""],  # not in the registry
    ["E", "2026-03-03", "x", "", "", "", "", ""],  # not an integer
    ["A", "2026-03-04", "", "", "won", "", "", ""],  # repeats A: a duplicate
    ["", "2026-03-04", "", "", "", "", "", ""],  # no lead_id
    ["F", "2026-03-05", "", "", "lost", "1e3", "", "0"],  # the default source
    ["G", "2026-03-05", "", "Nowhere", "", "", "", ""],  # an unknown name
]
SECOND = [  # a re-export: A's status changes, B stays, H is new, I is refused
    ["A", "2026-03-02 10:00:00", WEB, "", "won", "12", "X@Example.com ", ""],
    ["B", "2026-03-02T11:00:00+02:00", "", "web", "", "", "", "true"],
    ["H", "2026-03-06", WEB, "", "", "", "", ""],
    ["I", "2026-03-06", "", "", "", "abc", "", ""],
]


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the statements the warehouse runs from here on, in order."""
    seen: list[str] = []
    run = connection.Warehouse.execute_text

    def record(self: Any, sql: str, params: Any = None, *, name: str = "inline") -> Any:
        seen.append(name)
        return run(self, sql, params, name=name)

    monkeypatch.setattr(connection.Warehouse, "execute_text", record)
    return seen


def test_a_small_upload_and_the_bulk_path_store_identical_rows(
    pair: list[Pipeline], tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "first.csv", HEADER, FIRST)
    second = write_csv(tmp_path / "second.csv", HEADER, SECOND)
    a, b = pair
    summaries = []
    for path in (first, first, second, second):  # each again: a repeat of a loaded file
        summaries.append(load(a, path, SMALL))
        same(summaries[-1], load(b, path, BULK))
    assert stored(a) == stored(b)
    assert [s.already_loaded_as for s in summaries] == [None, 1, None, 3]
    assert [(s.loaded, s.updated, s.duplicates, s.rejected) for s in summaries[::2]] == [
        (3, 0, 1, 5),
        (1, 1, 1, 1),
    ]
    leads = {row[0]: row for row in stored(a)["leads"]}
    assert sorted(leads) == ["A", "B", "F", "H"]
    assert leads["A"][6] == "won" and leads["F"][2] == int(WEB)  # updated; the default source
    reasons = [r[2] for r in stored(a)["rejected"] if r[0] == 1]
    assert reasons[0] == (
        "created_at is not an ISO 8601 timestamp; value is negative; "
        "junk is not a boolean (true/false, 1/0)"
    )
    assert len(reasons) == 5


def test_a_json_upload_takes_the_small_path_with_the_same_result(
    pair: list[Pipeline], tmp_path: Path, names: list[str]
) -> None:
    records: list[dict[str, Any]] = [dict(zip(HEADER, row, strict=True)) for row in FIRST]
    for record in records:  # JSON gives what it has: no empty strings for missing values
        for key in [k for k, v in record.items() if v == ""]:
            del record[key]
    records[0]["source_id"] = int(WEB)  # a number, as an API client sends it
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records))
    a, b = pair
    small = load(a, path, SMALL, "json_array")
    small_names, names[:] = list(names), []
    same(small, load(b, path, BULK, "json_array"))
    assert "ingest_small/leads_merge" in small_names and "ingest/leads_insert" in names
    assert len(small_names) < len(names)  # the point of it: fewer statements
    assert (small.loaded, small.rejected, small.duplicates) == (3, 5, 1)
    assert stored(a) == stored(b)


def test_re_loads_dedupe_across_the_two_paths(pair: list[Pipeline], tmp_path: Path) -> None:
    a, _ = pair
    first = write_csv(tmp_path / "first.csv", HEADER, FIRST)
    more = write_csv(tmp_path / "more.csv", HEADER, [*FIRST[:2], ["J", "2026-03-07"] + [""] * 6])
    loaded = load(a, first, SMALL)
    assert load(a, first, BULK).already_loaded_as == loaded.batch_id
    again = load(a, more, BULK)  # A and B again, J new
    assert (again.loaded, again.duplicates) == (1, 2)
    assert load(a, more, SMALL).already_loaded_as == again.batch_id
    other = write_csv(tmp_path / "other.csv", HEADER, [*SECOND[:2], ["K", "2026-03-08"] + [""] * 6])
    last = load(a, other, SMALL)  # A updated, B a duplicate, K new
    assert (last.loaded, last.updated, last.duplicates) == (1, 1, 1)
    ids = [row[0] for row in stored(a)["leads"]]
    assert ids == sorted(set(ids)) == ["A", "B", "F", "J", "K"]


def test_a_file_above_the_limit_takes_the_bulk_path(
    pair: list[Pipeline], tmp_path: Path, names: list[str]
) -> None:
    path = write_csv(tmp_path / "first.csv", HEADER, FIRST)
    load(pair[0], path, path.stat().st_size - 1)
    assert "ingest/leads_insert" in names and "ingest_small/leads_merge" not in names


@pytest.mark.parametrize("small_bytes", [SMALL, BULK], ids=["small", "bulk"])
def test_json_values_of_any_type_are_read_as_what_they_say(
    pair: list[Pipeline], tmp_path: Path, small_bytes: int
) -> None:
    """A lead id given as 1 and as "1" is one lead (a JSON column kept the quotes: two leads);
    a source_id of 1.5, true or "1.5" is not an integer (a cast rounded 1.5 to 2 and read true
    as 1), while 3.0, as a float column writes an id, is source 3."""
    records = [
        {"lead_id": 1, "created_at": "2026-03-02", "source_id": int(WEB)},
        {"lead_id": "1", "created_at": "2026-03-02"},  # the same lead again
        {"lead_id": "M2", "created_at": "2026-03-02", "source_id": 1.5},
        {"lead_id": "M3", "created_at": "2026-03-02", "source_id": True},
        {"lead_id": "M4", "created_at": "2026-03-02", "source_id": "1.5"},
        {"lead_id": "M5", "created_at": "2026-03-02", "source_id": float(WEB)},
    ]
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(records))
    pipe = pair[0]
    done = load(pipe, path, small_bytes, "json_array")
    assert (done.loaded, done.duplicates, done.rejected) == (2, 1, 3)
    con = pipe.warehouse.con
    leads = con.execute("SELECT lead_id, source_id FROM leads ORDER BY lead_id").fetchall()
    assert leads == [("1", int(WEB)), ("M5", int(WEB))]
    reasons = con.execute("SELECT DISTINCT reason FROM rejected_rows").fetchall()
    assert reasons == [("source_id is not an integer",)]


def test_a_small_upload_leaves_the_warehouse_s_other_arrow_results_as_they_were(
    pair: list[Pipeline], tmp_path: Path
) -> None:
    """A file with a JSON column takes the small path without changing how the warehouse gives
    Arrow results to others (DuckDB's lossless Arrow setting is the whole database's: with it,
    a HUGEINT came back as bytes to the Spark engine's store step)."""
    pipe = pair[0]
    query = "SELECT CAST(7 AS HUGEINT) AS big, '{\"a\": 1}'::JSON AS doc"
    before = pipe.warehouse.arrow_text(query)
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([{"lead_id": 1, "created_at": "2026-03-02"}, {"lead_id": "2"}]))
    done = load(pipe, path, 65_536, "json_array")
    assert (done.loaded, done.rejected) == (1, 1)
    after = pipe.warehouse.arrow_text(query)
    assert after.schema == before.schema
    assert after.to_pylist() == before.to_pylist()
    assert float(after.to_pylist()[0]["big"]) == 7
