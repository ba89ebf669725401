"""Small uploads queued together are written as one group (ingest/grouped.py): one statement of
each kind for all of them, yet each answered with its own counts, and the warehouse holds what
loading the same files one by one on the bulk path leaves."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from attribution.errors import WarehouseError
from attribution.ingest import grouped
from attribution.ingest.loader import BatchSummary, Ingestor
from attribution.registry import sources
from attribution.registry.listing import SourceRow
from attribution.service.pipeline import Pipeline

from .conftest import MakeSettings, Migrated, write_csv
from .test_ingest_small import BULK, SMALL, WEB, load, names, pair, source, stored

__all__ = ["names", "pair", "source"]  # fixtures and helpers shared with test_ingest_small

HEADER = ["lead_id", "created_at", "source_id", "status"]
FILES = {
    "one.csv": [
        ["A1", "2026-03-02", WEB, "open"],
        ["A2", "x", "", ""],
        ["A3", "2026-03-03", "", ""],
    ],
    "two.csv": [["B1", "2026-03-02", "", ""], ["B1", "2026-03-04", "", "won"], ["B2", "", "", ""]],
    "three.csv": [["C1", "2026-03-05", "77", ""], ["C2", "2026-03-05", WEB, "lost"]],
}
LOADED = [["P1", "2026-03-01", "", "open"], ["P2", "bad", "", ""]]  # loaded before, then again


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {name: write_csv(tmp_path / name, HEADER, rows) for name, rows in FILES.items()}
    out["loaded.csv"] = write_csv(tmp_path / "loaded.csv", HEADER, LOADED)
    return out


def together(
    pipe: Pipeline, paths: list[Path], ingestor: Ingestor | None = None
) -> dict[str, BatchSummary]:
    """Ingest the files from one thread each while the test holds the write lock, so that
    all of them queue before any is written: one group."""
    wh = pipe.warehouse
    out: dict[str, BatchSummary] = {}
    errors: list[BaseException] = []

    def one(path: Path) -> None:
        try:
            if ingestor is None:
                out[path.name] = load(pipe, path, SMALL)
            else:
                out[path.name] = ingestor.ingest_file("leads", path)
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(p,)) for p in paths]
    with wh.write_lock:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(wh._ingests._queue) < len(paths):  # each staged, validated and queued
            assert time.monotonic() < deadline and not errors, errors
            time.sleep(0.01)
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return out


def bulk_in_order(pipe: Pipeline, files: dict[str, Path], got: dict[str, BatchSummary]) -> None:
    """Load the group's files on the bulk path one by one, in the order the group took its
    batch ids (a repeat took one first), so that the same ids result."""
    repeats = [n for n, s in got.items() if s.batch_id is None]
    written = sorted((s.batch_id or 0, n) for n, s in got.items() if s.batch_id is not None)
    for name in repeats + [n for _, n in written]:
        load(pipe, files[name], BULK)


def test_uploads_queued_together_are_written_as_one_group_with_their_own_answers(
    pair: list[Pipeline], files: dict[str, Path], names: list[str]
) -> None:
    a, b = pair
    for pipe in pair:
        assert load(pipe, files["loaded.csv"], BULK).batch_id == 1
    names.clear()
    got = together(a, [files[n] for n in ("one.csv", "two.csv", "three.csv", "loaded.csv")])
    assert names.count("ingest_small/leads_merge") == 1  # three uploads, one MERGE
    assert names.count("ingest_small/record_batches") == 1
    assert names.count("ingest_small/insert_rejected") == 1
    assert got["loaded.csv"].already_loaded_as == 1 and got["loaded.csv"].batch_id is None
    counts = {n: (s.loaded, s.updated, s.duplicates, s.rejected) for n, s in got.items()}
    assert counts == {
        "one.csv": (2, 0, 0, 1),
        "two.csv": (1, 0, 1, 1),
        "three.csv": (1, 0, 0, 1),
        "loaded.csv": (0, 0, 1, 1),
    }
    assert got["three.csv"].top_reasons == [("source_id is not in the lead-source registry", 1)]
    assert sorted(s.batch_id or 0 for s in got.values()) == [0, 3, 4, 5]  # 2: the repeat's
    bulk_in_order(b, files, got)
    assert stored(a) == stored(b)


def test_a_group_whose_statement_fails_is_written_upload_by_upload(
    pair: list[Pipeline], files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    real, groups = grouped.run, []

    def failing(db: Any, parts: list[grouped.Part], changes: list[Any]) -> list[Any]:
        groups.append(len(parts))
        if len(parts) > 1:
            raise WarehouseError("statement ingest_small/leads_merge failed: injected")
        return real(db, parts, changes)

    monkeypatch.setattr(grouped, "run", failing)
    a, b = pair
    got = together(a, [files[n] for n in ("one.csv", "two.csv", "three.csv")])
    assert groups == [3, 1, 1, 1]  # the group, then each upload alone
    assert [(s.loaded, s.rejected) for s in (got["one.csv"], got["two.csv"])] == [(2, 1), (1, 1)]
    bulk_in_order(b, files, got)
    assert stored(a) == stored(b)


def test_uploads_sharing_a_lead_are_not_merged_in_one_statement(
    pair: list[Pipeline], tmp_path: Path, names: list[str]
) -> None:
    first = write_csv(tmp_path / "first.csv", HEADER, [["S1", "2026-03-02", "", "open"]])
    second = write_csv(tmp_path / "second.csv", HEADER, [["S1", "2026-03-02", "", "won"]])
    a, b = pair
    got = together(a, [first, second])
    assert names.count("ingest_small/leads_merge") == 2
    earlier, later = sorted(got.values(), key=lambda s: s.batch_id or 0)
    assert (earlier.loaded, earlier.updated, later.loaded, later.updated) == (1, 0, 0, 1)
    status = a.warehouse.con.execute("SELECT status FROM leads WHERE lead_id = 'S1'").fetchone()
    assert status == ("won" if later.file == "second.csv" else "open",)
    for summary in (earlier, later):
        load(b, first if summary.file == "first.csv" else second, BULK)
    assert stored(a) == stored(b)


@pytest.fixture
def served(make_settings: MakeSettings, migrated: Migrated, tmp_path: Path) -> Iterator[Pipeline]:
    settings = migrated(make_settings(warehouse={"path": str(tmp_path / "wh.duckdb")}))
    with Pipeline.open(settings) as pipe:
        yield pipe


def test_a_group_tells_the_caches_which_sources_gained_leads_with_their_rows(
    served: Pipeline, tmp_path: Path
) -> None:
    wh = served.warehouse
    web, mail = source(served, "Web"), source(served, "Mail")
    wh.watch()  # as the service's caches do
    before = wh.generation("data")
    paths = [
        write_csv(tmp_path / "w.csv", HEADER, [["W1", "2026-03-02", str(web), ""]]),
        write_csv(tmp_path / "m.csv", HEADER, [["M1", "2026-03-02", str(mail), ""]]),
        write_csv(tmp_path / "n.csv", HEADER, [["N1", "2026-03-02", "", ""]]),
    ]
    ingestor = Ingestor(wh, served.settings, sources.source_rows, SMALL)
    got = together(served, paths, ingestor)
    assert all((s.loaded, s.rejected) == (1, 0) for s in got.values())
    changes = wh.changes_of(("data",), before, wh.generation("data"))
    assert changes is not None and len(changes) == 3  # one change per upload, each known
    assert sorted(sorted(keys) for keys, _ in changes) == sorted([[], [web], [mail]])
    rows = {k: r for _, found in changes for k, r in (found or {}).items()}
    for sid in (web, mail):
        row = rows[sid]
        assert isinstance(row, SourceRow) and row.lead_count == 1
