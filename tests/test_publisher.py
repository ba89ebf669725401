"""The service publishes the analysts' snapshot after its writes, in the background, coalesced."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from fastapi.testclient import TestClient

from attribution.api import create_app
from attribution.registry.tokens import create_token
from attribution.service.pipeline import Pipeline
from attribution.warehouse.snapshot import PACE, Publisher, Snapshot

from .conftest import MakeSettings


def test_writes_during_a_publish_ask_for_exactly_one_more() -> None:
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow_publish() -> Snapshot:
        calls.append(len(calls))
        started.set()
        release.wait(10)
        now = datetime.now(UTC)
        return Snapshot(Path("x"), 0.0, 0, (), (), (), now, "v")

    publisher = Publisher(slow_publish)
    publisher.request()
    assert started.wait(10)
    for _ in range(5):  # a burst of writes while the first publish runs
        publisher.request()
    release.set()
    assert publisher.wait(10)
    assert calls == [0, 1]
    publisher.request()
    assert publisher.wait(10) and calls == [0, 1, 2]


def test_a_publish_asked_for_during_one_waits_a_pause_unless_someone_waits() -> None:
    """Under a steady stream of writes, publishes (a checkpoint under the write lock and a
    copy of the file) are spaced: the next starts PACE times the last one's length after it."""
    starts: list[float] = []
    ends: list[float] = []

    def publish() -> Snapshot:
        starts.append(time.monotonic())
        time.sleep(0.1)
        ends.append(time.monotonic())
        return Snapshot(Path("x"), 0.1, 0, (), (), (), datetime.now(UTC), "v")

    publisher = Publisher(publish)
    publisher.request()
    time.sleep(0.05)
    publisher.request()  # during the first: one more, after a pause
    deadline = time.monotonic() + 10
    while len(starts) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(starts) == 2
    assert starts[1] - ends[0] >= PACE * 0.1 * 0.9
    assert publisher.wait(10)
    publisher.request()
    time.sleep(0.05)
    publisher.request()
    waited = time.monotonic()
    assert publisher.wait(10)  # waiting for the publishes cuts the pause short
    assert len(starts) == 4 and starts[3] - waited < PACE * 0.1 * 0.5


def test_a_failed_publish_is_recorded_and_the_next_write_tries_again() -> None:
    outcomes = iter([RuntimeError("disk full"), None])

    def publish() -> Snapshot:
        error = next(outcomes)
        if error is not None:
            raise error
        return Snapshot(Path("x"), 0.0, 0, (), (), (), datetime.now(UTC), "v")

    publisher = Publisher(publish)
    publisher.request()
    assert publisher.wait(10) and publisher.last_error == "disk full"
    publisher.request()
    assert publisher.wait(10) and publisher.last_error is None and publisher.last is not None


def test_an_ingest_over_http_reaches_the_snapshot(
    make_settings: MakeSettings, tmp_path: Path
) -> None:
    snapshot = tmp_path / "snap" / "attribution.duckdb"
    settings = make_settings(snapshot={"path": str(snapshot)})
    with Pipeline.open(settings) as pipe:
        token, _ = create_token(pipe.warehouse, name="all")
        app = create_app(pipe)
        client = TestClient(app)
        answer = client.post(
            "/api/v1/ingest/leads",
            json=[{"lead_id": "A-1", "created_at": "2026-11-20T10:00:00Z"}],
            headers={"authtoken": token},
        )
        assert answer.status_code == 200, answer.text
        assert app.state.publisher.wait(60)
        assert app.state.publisher.last_error is None
        con = duckdb.connect(str(snapshot), read_only=True)
        try:
            assert con.execute("SELECT lead_id FROM leads").fetchall() == [("A-1",)]
        finally:
            con.close()


def test_no_publish_when_switched_off(make_settings: MakeSettings, tmp_path: Path) -> None:
    settings = make_settings(
        snapshot={"path": str(tmp_path / "s.duckdb"), "publish_after_ingest": False}
    )
    with Pipeline.open(settings) as pipe:
        assert create_app(pipe).state.publisher is None
