"""An ingest keeps the API's cached registry reads: the sources whose lead counts it changed and
the ones it created are patched in, and every answer equals a fresh query."""

from __future__ import annotations

import random
import threading
from pathlib import Path

from fastapi.testclient import TestClient

from attribution.config import Settings
from attribution.registry import sources as registry
from attribution.registry.listing import ListQuery, OneSource, SortedSources, SourceRow
from attribution.service.pipeline import Pipeline
from attribution.warehouse.connection import Change

from .conftest import Migrated, Served, write_csv

QUERIES: list[dict[str, str]] = [
    {},
    {"sort": "-lead_count"},
    {"sort": "lead_count", "page": "2", "per_page": "3"},
    {"search": "new"},
    {"channel": "unassigned", "sort": "-lead_count"},
    {"active": "true", "sort": "-name"},
]


def _query(q: dict[str, str]) -> ListQuery:
    active = None if "active" not in q else q["active"] == "true"
    return ListQuery.of(q.get("search"), q.get("channel"), active, q.get("sort", "name"))


def _cached(client: TestClient) -> dict[ListQuery, SortedSources | None]:
    cache = client.app.state.cache  # type: ignore[attr-defined]
    return {_query(q): cache.get(("list", _query(q))) for q in QUERIES}


def _check_fresh(client: TestClient, pipe: Pipeline, auth: dict[str, str], step: object) -> None:
    for q in QUERIES:
        answer = client.get("/api/lead_sources", params=q, headers=auth)
        fresh = registry.sorted_sources(pipe.warehouse, _query(q))
        page = [None if q.get(k) is None else int(q[k]) for k in ("page", "per_page")]
        assert answer.content == fresh.json(*page), (step, q)
    for sid in range(1, 8):
        one = client.get(f"/api/lead_sources/{sid}", headers=auth)
        row = registry.source_row(pipe.warehouse, source_id=sid)
        assert (one.status_code, one.content) == (
            (200, row.record) if row else (404, one.content)
        ), (step, sid)


def test_ingests_patch_the_cached_lists_and_rows_in_place(served: Served, tmp_path: Path) -> None:
    client, pipe, auth = served
    _check_fresh(client, pipe, auth, "start")  # fills the cache
    kept = _cached(client)
    assert all(v is not None for v in kept.values())
    one = client.app.state.cache.get(("one", 1))  # type: ignore[attr-defined]
    assert isinstance(one, OneSource)
    rng = random.Random(7)
    for step in range(6):
        rows = [
            [f"L{step}-{i}", "2026-03-02", rng.choice(["", "1", "2"]), rng.choice(["", "New A"])]
            for i in range(rng.randint(1, 6))
        ]
        rows.append([f"L{step}-bad", "never", "", ""])
        path = write_csv(
            tmp_path / f"l{step}.csv", ["lead_id", "created_at", "source_id", "source"], rows
        )
        summary = pipe.ingest("leads", path)
        assert summary.loaded == len(rows) - 1
        _check_fresh(client, pipe, auth, step)
    # Touches naming a new source create it: it enters the lists, lead count 0.
    touches = write_csv(
        tmp_path / "t.csv",
        ["lead_id", "occurred_at", "source"],
        [["L0-0", "2026-03-01", "New Touch Source"]],
    )
    assert pipe.ingest("touches", touches).sources_created == 1
    _check_fresh(client, pipe, auth, "touches")
    again = pipe.ingest("leads", tmp_path / "l0.csv")  # the same file: nothing changes
    assert again.already_loaded_as is not None
    _check_fresh(client, pipe, auth, "again")
    # Patched, never dropped: the very objects cached before the ingests.
    assert _cached(client) == kept
    assert all(_cached(client)[q] is kept[q] for q in kept)
    assert client.app.state.cache.get(("one", 1)) is one  # type: ignore[attr-defined]
    counts = {
        s["name"]: s["lead_count"] for s in client.get("/api/lead_sources", headers=auth).json()
    }
    assert counts["New A"] > 0 and counts["New Touch Source"] == 0


def test_an_ingest_says_which_sources_it_changed(served: Served, tmp_path: Path) -> None:
    """The change an ingest records names the sources whose rows changed, with those rows;
    a batch of touches naming known sources changes none."""
    _, pipe, _ = served
    wh = pipe.warehouse
    leads = write_csv(
        tmp_path / "l.csv",
        ["lead_id", "created_at", "source_id", "source"],
        [
            ["A", "2026-03-02", "2", ""],
            ["B", "2026-03-02", "", "Podcast"],
            ["C", "2026-03-02", "", ""],
        ],
    )
    before = wh.generation("data", "registry")
    pipe.ingest("leads", leads)
    after = wh.generation("data", "registry")
    found = wh.changes("data", before[0], after[0])
    assert found is not None and len(found) == 1
    keys, rows = found[0]
    assert keys == frozenset({2, 3})  # Facebook's count, and Podcast, created
    assert rows is not None
    counts = {i: r.lead_count for i, r in rows.items() if isinstance(r, SourceRow)}
    assert counts == {2: 1, 3: 1}
    assert wh.changed_keys("registry", before[1], after[1]) == frozenset({2, 3})
    touches = write_csv(
        tmp_path / "t.csv", ["lead_id", "occurred_at", "source"], [["A", "2026-03-01", "Google"]]
    )
    before = wh.generation("data", "registry")
    pipe.ingest("touches", touches)
    assert wh.changes("data", before[0], before[0] + 1) == [(frozenset(), {})]
    assert wh.generation("registry") == before[1:]
    assert Change().keys is None  # the default still means "anything"


def test_a_thread_reads_on_after_its_ingest_and_its_cursors_close(
    served: Served, tmp_path: Path
) -> None:
    """A thread's reader connection outlives the cursors the thread used (an ingest's): it is
    made from the warehouse's own connection."""
    _, pipe, _ = served
    leads = write_csv(
        tmp_path / "l.csv", ["lead_id", "created_at", "source_id"], [["A", "2026-03-02", "1"]]
    )
    found: list[object] = []

    def work() -> None:
        try:
            with pipe.warehouse.cursor() as cur:
                cur.reader()  # the thread's first reader, asked for through a cursor
            pipe.ingest("leads", leads)
            found.append(registry.source_row(pipe.warehouse, source_id=1))
        except Exception as exc:
            found.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    assert len(found) == 1 and isinstance(found[0], SourceRow), found
    assert found[0].lead_count == 1


def test_without_a_cache_an_ingest_reads_no_rows_for_one(
    settings: Settings, migrated: Migrated, tmp_path: Path
) -> None:
    """The CLI's ingest (no cache follows the warehouse) spends no statement on the rows."""
    leads = write_csv(
        tmp_path / "l.csv", ["lead_id", "created_at", "source_id"], [["A", "2026-03-02", "1"]]
    )
    with Pipeline.open(migrated(settings)) as pipe:
        wh = pipe.warehouse
        assert not wh.watched()
        before = wh.generation("data")[0]
        assert pipe.ingest("leads", leads).loaded == 1
        assert wh.changes("data", before, before + 1) is None  # "anything may have changed"


def test_an_ingest_then_a_registry_write_of_one_source_apply_in_their_order(
    served: Served, tmp_path: Path
) -> None:
    """The cache takes the writes of its topics in the order they were made: the ingest's row
    of a source (its lead count) must not overwrite the registry change made after it."""
    client, pipe, auth = served
    assert client.get("/api/lead_sources/1", headers=auth).status_code == 200  # cached
    assert client.get("/api/lead_sources", headers=auth).status_code == 200
    leads = write_csv(
        tmp_path / "l.csv", ["lead_id", "created_at", "source_id"], [["A", "2026-03-02", "1"]]
    )
    pipe.ingest("leads", leads)  # hands over source 1's row, channel still Paid Search
    changed = client.put("/api/lead_sources/1", json={"channel": "Search"}, headers=auth)
    assert changed.status_code == 200
    one = client.get("/api/lead_sources/1", headers=auth).json()
    assert (one["channel"], one["lead_count"]) == ("Search", 1)
    listed = {s["id"]: s for s in client.get("/api/lead_sources", headers=auth).json()}
    assert (listed["1"]["channel"], listed["1"]["lead_count"]) == ("Search", 1)
