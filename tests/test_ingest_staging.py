"""An ingest reads and validates its file before the write lock; registry changes made while it
waits for the lock are caught there, so a batch is loaded as validation against the registry
of its own transaction would load it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from attribution.ingest import small
from attribution.ingest.loader import BatchSummary, Ingestor
from attribution.registry.schemas import SourceUpdate
from attribution.registry.sources import create_source, delete_source, update_source
from attribution.service.pipeline import Pipeline

from .conftest import MakeSettings, Migrated, write_csv

NOT_IN_REGISTRY = "source_id is not in the lead-source registry"


@pytest.fixture(params=["small", "bulk"])
def make_settings(request: pytest.FixtureRequest, make_settings: MakeSettings) -> MakeSettings:
    """Each test on both paths of a leads file: the small upload's (small.py) and the bulk one."""
    limit = 65_536 if request.param == "small" else 0

    def make(**sections: dict[str, Any]) -> Any:
        ingest = {"small_upload_bytes": limit, **sections.pop("ingest", {})}
        return make_settings(ingest=ingest, **sections)

    return make


def source(pipe: Pipeline, name: str) -> int:
    fields, errors = SourceUpdate.parse({"name": name}, creating=True)
    assert not errors
    return create_source(pipe.warehouse, fields=fields)


def ingest_while(pipe: Pipeline, path: Path, change: Callable[[], object]) -> BatchSummary:
    """Ingest `path` with `change` made after the file was validated, before its writes: this
    thread holds the write lock (re-entrant: its own registry writes pass) until then."""
    validated = threading.Event()
    done: list[BatchSummary] = []
    failed: list[BaseException] = []

    def progress(stage: str, step: int, steps: int) -> None:
        if (stage, step) == ("validating", 2):
            validated.set()

    def run() -> None:
        try:
            done.append(pipe.ingest("leads", path, progress=progress))
        except BaseException as exc:
            failed.append(exc)
            validated.set()

    worker = threading.Thread(target=run)
    with pipe.warehouse.write_lock:
        worker.start()
        assert validated.wait(30)
        change()
    worker.join(30)
    if failed:
        raise failed[0]
    return done[0]


def leads(pipe: Pipeline) -> list[tuple[Any, ...]]:
    return pipe.warehouse.con.execute(
        "SELECT lead_id, source_id FROM leads ORDER BY lead_id"
    ).fetchall()


def reasons(pipe: Pipeline) -> list[tuple[Any, ...]]:
    return pipe.warehouse.con.execute(
        "SELECT row_number, reason FROM rejected_rows ORDER BY row_number"
    ).fetchall()


def test_a_source_deleted_while_the_batch_waits_rejects_the_rows_naming_it(
    pipe: Pipeline, tmp_path: Path
) -> None:
    gone = source(pipe, "Gone soon")
    path = write_csv(
        tmp_path / "l.csv",
        ["lead_id", "created_at", "source_id"],
        [["A", "2026-03-02", str(gone)], ["B", "2026-03-02", ""]],
    )
    summary = ingest_while(pipe, path, lambda: delete_source(pipe.warehouse, source_id=gone))
    assert (summary.loaded, summary.rejected) == (1, 1)
    assert leads(pipe) == [("B", None)]
    assert reasons(pipe) == [(1, NOT_IN_REGISTRY)]


def test_a_source_named_while_the_batch_waits_takes_the_rows_naming_it(
    make_settings: MakeSettings, migrated: Migrated, tmp_path: Path
) -> None:
    settings = migrated(make_settings(ingest={"unknown_sources": "reject"}))
    path = write_csv(
        tmp_path / "l.csv", ["lead_id", "created_at", "source"], [["A", "2026-03-02", "Fresh"]]
    )
    with Pipeline.open(settings) as pipe:
        made: list[int] = []
        summary = ingest_while(pipe, path, lambda: made.append(source(pipe, "fresh")))
        assert (summary.loaded, summary.rejected) == (1, 0)
        assert leads(pipe) == [("A", made[0])]


def test_a_default_source_made_while_the_batch_waits_is_given_to_leads_naming_none(
    make_settings: MakeSettings, migrated: Migrated, tmp_path: Path
) -> None:
    settings = migrated(make_settings(registry={"default_source": "Direct"}))
    path = write_csv(tmp_path / "l.csv", ["lead_id", "created_at"], [["A", "2026-03-02"]])
    with Pipeline.open(settings) as pipe:
        made: list[int] = []
        ingest_while(pipe, path, lambda: made.append(source(pipe, "Direct")))
        assert leads(pipe) == [("A", made[0])]


def test_a_source_renamed_away_while_the_batch_waits_no_longer_takes_the_rows(
    make_settings: MakeSettings, migrated: Migrated, tmp_path: Path
) -> None:
    settings = migrated(make_settings(ingest={"unknown_sources": "reject"}))
    path = write_csv(
        tmp_path / "l.csv", ["lead_id", "created_at", "source"], [["A", "2026-03-02", "Old"]]
    )
    with Pipeline.open(settings) as pipe:
        old = source(pipe, "Old")
        renamed, _ = SourceUpdate.parse({"name": "New"}, creating=False)
        summary = ingest_while(
            pipe, path, lambda: update_source(pipe.warehouse, source_id=old, fields=renamed)
        )
        assert (summary.loaded, summary.rejected) == (0, 1)
        assert reasons(pipe) == [(1, "source is not in the lead-source registry")]


def test_changes_of_other_sources_keep_the_validation_made_before_the_lock(
    pipe: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = source(pipe, "Named")
    other = source(pipe, "Other")
    path = write_csv(
        tmp_path / "l.csv",
        ["lead_id", "created_at", "source_id"],
        [["A", "2026-03-02", str(named)], ["B", "2026-03-02", "999"]],
    )
    validations: list[str] = []
    validate, validate_small = Ingestor._validate, small.validate

    def counted(self: Ingestor, *args: Any) -> None:
        validations.append(threading.current_thread().name)
        validate(self, *args)

    def counted_small(ingestor: Ingestor, *args: Any) -> None:
        validations.append(threading.current_thread().name)
        validate_small(ingestor, *args)

    monkeypatch.setattr(Ingestor, "_validate", counted)
    monkeypatch.setattr(small, "validate", counted_small)
    channel, _ = SourceUpdate.parse({"channel": "Email"}, creating=False)

    def elsewhere() -> None:
        assert update_source(pipe.warehouse, source_id=other, fields=channel)
        source(pipe, "Unrelated")

    summary = ingest_while(pipe, path, elsewhere)
    assert len(validations) == 1  # before the lock only
    assert (summary.loaded, summary.rejected) == (1, 1)
    assert leads(pipe) == [("A", named)]
    assert reasons(pipe) == [(2, NOT_IN_REGISTRY)]
