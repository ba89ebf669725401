"""Cached reads never outlive a write they depend on."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from attribution.registry.tokens import revoke_token

from .conftest import Served, write_csv


def names(client: TestClient, auth: dict[str, str]) -> list[tuple[str, str, int]]:
    body = client.get("/api/lead_sources", headers=auth).json()
    return [(s["name"], s["channel"], s["lead_count"]) for s in body]


def test_every_kind_of_write_shows_in_the_next_read(served: Served, tmp_path: Path) -> None:
    client, pipe, auth = served
    assert names(client, auth) == [("Facebook", "Paid Social", 0), ("Google", "Paid Search", 0)]
    assert client.get("/api/lead_sources/1", headers=auth).json()["channel"] == "Paid Search"
    client.put("/api/lead_sources/1", json={"channel": "Search"}, headers=auth)
    assert client.get("/api/lead_sources/1", headers=auth).json()["channel"] == "Search"
    assert names(client, auth)[1] == ("Google", "Search", 0)
    client.post("/api/lead_sources", json={"name": "Bing"}, headers=auth)
    assert [n for n, _, _ in names(client, auth)] == ["Bing", "Facebook", "Google"]
    # An ingest (not a registry write) changes lead counts and adds a source: all reads drop.
    leads = write_csv(
        tmp_path / "l.csv",
        ["lead_id", "created_at", "source"],
        [["A", "2026-03-02", "Google"], ["B", "2026-03-02", "Podcast"]],
    )
    pipe.ingest("leads", leads)
    assert names(client, auth)[2:] == [("Google", "Search", 1), ("Podcast", "Unassigned", 1)]
    assert client.get("/api/lead_sources/1", headers=auth).json()["lead_count"] == 1
    client.post("/api/lead_sources/bulk", json={"action": "deactivate", "ids": ["2"]}, headers=auth)
    assert client.get("/api/lead_sources/2", headers=auth).json()["active"] is False
    client.delete("/api/lead_sources/3", headers=auth)
    assert client.get("/api/lead_sources/3", headers=auth).status_code == 404
    assert "Bing" not in client.get("/api/lead_sources.csv", headers=auth).text


def test_a_revoked_token_is_refused_at_once(
    served: Served,
) -> None:
    client, pipe, auth = served
    assert client.get("/api/lead_sources", headers=auth).status_code == 200
    revoke_token(pipe.warehouse, name="all")
    assert client.get("/api/lead_sources", headers=auth).status_code == 401


def test_a_cache_check_never_waits_for_a_writer(
    served: Served,
) -> None:
    """The cache runs on the server's event loop: catching up after a write must not wait for
    the write lock, which an ingest holds for its whole run (issue 17)."""
    client, pipe, auth = served
    wh = pipe.warehouse
    assert len(client.get("/api/lead_sources", headers=auth).json()) == 2
    client.post("/api/lead_sources", json={"name": "Fair"}, headers=auth)  # the cache is behind
    held, done = threading.Event(), threading.Event()

    def writer() -> None:
        with wh.write_lock:
            held.set()
            done.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    held.wait(5)
    try:
        started = time.perf_counter()
        before = wh.generation("registry")[0]
        assert wh.changed_keys("registry", before - 1, before) == frozenset({3})
        assert time.perf_counter() - started < 0.5
    finally:
        done.set()
        thread.join(10)
