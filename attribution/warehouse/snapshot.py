"""The analysts' snapshot: a read-only copy of the warehouse with the analyst views, published
by the process that owns the live file, replaced atomically, and optionally as Parquet."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from attribution import clock
from attribution.config import Settings
from attribution.errors import ConfigError, WarehouseError
from attribution.warehouse import durable
from attribution.warehouse.connection import Warehouse
from attribution.warehouse.statements import SQL_DIR, fill, quote_ident

log = logging.getLogger(__name__)

VIEWS_DIR = SQL_DIR / "views"
TARGET = "snapshot_publish"  # the attach alias, fixed in sql/snapshot/*.sql
# Not for analysts: API token hashes, staff email addresses, APScheduler's pickled job store.
PRIVATE_TABLES = ("api_tokens", "mail_log", "scheduler_jobs")
PRIVATE_SEQUENCES = ("api_tokens_id_seq",)
_WIDE_INTEGERS = ("HUGEINT", "UHUGEINT")  # Parquet has no 128-bit integers: written as text

# One publish at a time in this process: they share the attach alias and the file names.
_PUBLISHING = threading.Lock()


@dataclass(frozen=True)
class Snapshot:
    """A published snapshot: where, how long it took, how big, and what it holds
    (storage_version: the DuckDB version whose format it is written in)."""

    path: Path
    seconds: float
    bytes: int
    tables: tuple[str, ...]
    views: tuple[str, ...]
    parquet_files: tuple[Path, ...]
    published_at: datetime
    storage_version: str


def view_names() -> list[str]:
    """The analyst views, one per file in sql/views/."""
    return sorted(p.stem for p in VIEWS_DIR.glob("*.sql"))


def _staging_prefix(final: Path) -> str:
    return f".{final.name}.publish-"


def _staging(final: Path) -> Path:
    """A hidden name beside `final`, unique to this process and publish."""
    return final.with_name(f"{_staging_prefix(final)}{os.getpid()}-{secrets.token_hex(4)}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(final: Path) -> list[Path]:
    """Delete what a publish that crashed left beside `final` (files, their WAL, folders);
    a publish still running in another live process keeps its files."""
    removed = []
    for found in final.parent.glob(_staging_prefix(final) + "*"):
        pid_text = found.name.removeprefix(_staging_prefix(final)).split("-", 1)[0]
        pid = int(pid_text) if pid_text.isdigit() else 0
        if pid and pid != os.getpid() and _alive(pid):
            continue
        if found.is_dir():
            shutil.rmtree(found, ignore_errors=True)
        else:
            found.unlink(missing_ok=True)
        removed.append(found)
    return removed


def _checkpoint(wh: Warehouse, cur: Warehouse) -> None:
    """Fold the WAL into the file first. Writers of this process hold the write lock, so none
    is half-way; a write from elsewhere (the scheduler's store) only makes it wait for later:
    the copy reads one consistent transaction either way."""
    with wh.write_lock:
        try:
            # Under load DuckDB may refuse ("other write transactions active"): expected, and
            # logged below at INFO, not as a failing statement.
            with cur.failures_expected():
                cur.execute("snapshot/checkpoint")
        except WarehouseError as exc:
            log.info("snapshot: checkpoint skipped (%s)", exc)


def _attach(cur: Warehouse, path: Path, storage_version: str) -> None:
    try:
        cur.execute(
            "snapshot/attach", {"path": str(path), "storage_version": storage_version or "latest"}
        )
    except WarehouseError as exc:
        if "not a known DuckDB version" in str(exc):
            raise ConfigError(
                f"snapshot.storage_version = {storage_version!r} is not a DuckDB version; "
                "use one such as v1.5.0, or leave it empty for the current one"
            ) from None
        raise WarehouseError(f"cannot create the snapshot file {path}: {exc.__cause__}") from None


def _fill(cur: Warehouse, source: str, info: dict[str, object]) -> None:
    """Copy the warehouse into the attached file and add the analyst views: one transaction,
    so the copy is one consistent state of the warehouse whatever writes meanwhile."""
    with cur.transaction():
        cur.execute_text(
            fill("snapshot/copy_database", warehouse=quote_ident(source)),
            name="snapshot/copy_database",
        )
        cur.execute_text(
            fill("snapshot/use_database", database=quote_ident(TARGET)),
            name="snapshot/use_database",
        )
        for table in PRIVATE_TABLES:
            cur.execute_text(
                fill("snapshot/drop_table", table=quote_ident(table)), name="snapshot/drop_table"
            )
        for sequence in PRIVATE_SEQUENCES:
            cur.execute_text(
                fill("snapshot/drop_sequence", sequence=quote_ident(sequence)),
                name="snapshot/drop_sequence",
            )
        cur.execute("snapshot/create_info", info)
        for view in view_names():  # each binds to the snapshot's own tables
            cur.execute_text(
                fill("snapshot/drop_view", view=quote_ident(view)), name="snapshot/drop_view"
            )
            cur.execute(f"views/{view}")


def _export_parquet(cur: Warehouse, relations: list[str], folder: Path) -> list[Path]:
    """Each table and view of the attached snapshot as folder/NAME.parquet."""
    folder.mkdir(parents=True)
    files = []
    for name in relations:
        columns = [
            f"CAST({quote_ident(col)} AS VARCHAR) AS {quote_ident(col)}"
            if kind in _WIDE_INTEGERS
            else quote_ident(col)
            for col, kind in cur.fetchall(
                "snapshot/columns", {"database": TARGET, "relation": name}
            )
        ]
        path = folder / f"{name}.parquet"
        cur.execute_text(
            fill("snapshot/export_parquet", columns=", ".join(columns), relation=quote_ident(name)),
            {"path": str(path)},
            name="snapshot/export_parquet",
        )
        files.append(path)
    return files


def _replace_parquet(staged: list[Path], folder: Path) -> list[Path]:
    """Move the staged files into `folder`, each by an atomic rename (a reader of a file sees
    the old one or the new one, whole), then drop files of relations that no longer exist."""
    folder.mkdir(parents=True, exist_ok=True)
    final = []
    for path in staged:
        durable.fsync(path)
        target = folder / path.name
        os.replace(path, target)
        final.append(target)
    keep = {p.name for p in final}
    for old in folder.glob("*.parquet"):
        if old.name not in keep:
            old.unlink(missing_ok=True)
    durable.fsync(folder)
    return final


def _write(
    wh: Warehouse, tmp: Path, info: dict[str, object], storage_version: str, staged: Path | None
) -> tuple[list[tuple[str, str]], list[Path]]:
    """Fill the file `tmp` (and Parquet files in `staged`) from the warehouse; return the
    snapshot's (relation, kind) pairs and the Parquet files."""
    with wh.cursor() as cur:
        source = str(cur.scalar("snapshot/current_database"))
        info["schema_version"] = cur.scalar("snapshot/schema_version")
        _checkpoint(wh, cur)
        cur.execute("snapshot/detach")  # in case a publish that failed half-way left it attached
        _attach(cur, tmp, storage_version)
        try:
            _fill(cur, source, info)
            found = [
                (str(n), str(k))
                for n, k in cur.fetchall("snapshot/relations", {"database": TARGET})
            ]
            files = _export_parquet(cur, [n for n, _ in found], staged) if staged else []
        finally:
            with contextlib.suppress(WarehouseError):  # the detach below matters more
                cur.execute_text(
                    fill("snapshot/use_database", database=quote_ident(source)),
                    name="snapshot/use_database",
                )
            cur.execute("snapshot/detach")
    return found, files


def publish(wh: Warehouse, settings: Settings) -> Snapshot:
    """Publish the snapshot from the warehouse this process owns: checkpoint, copy into a
    temporary file beside snapshot.path with the analyst views, then an atomic rename (readers
    of the old file keep reading it); with snapshot.parquet_dir, Parquet files too."""
    cfg = settings.snapshot
    final = settings.resolve(cfg.path)
    parquet_dir = settings.resolve(cfg.parquet_dir) if cfg.parquet_dir else None
    version = cfg.storage_version or f"v{duckdb.__version__}"
    started = time.perf_counter()
    with _PUBLISHING:
        final.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(final)
        if parquet_dir:
            parquet_dir.parent.mkdir(parents=True, exist_ok=True)
            remove_leftovers(parquet_dir)
        tmp = _staging(final)
        staged = _staging(parquet_dir) if parquet_dir else None
        published_at = clock.utc_now()
        info: dict[str, object] = {
            "published_at": published_at,
            "warehouse": str(wh.path),
            "duckdb_version": duckdb.__version__,
            "storage_version": version,
        }
        try:
            found, files = _write(wh, tmp, info, cfg.storage_version, staged)
            durable.fsync(tmp)
            os.replace(tmp, final)
            durable.fsync(final.parent)
            size = final.stat().st_size
            parquet = _replace_parquet(files, parquet_dir) if parquet_dir else []
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                leftover.unlink(missing_ok=True)
            if staged:
                shutil.rmtree(staged, ignore_errors=True)
    snap = Snapshot(
        path=final,
        seconds=time.perf_counter() - started,
        bytes=size,
        tables=tuple(n for n, kind in found if kind == "table"),
        views=tuple(n for n, kind in found if kind == "view"),
        parquet_files=tuple(parquet),
        published_at=published_at,
        storage_version=version,
    )
    log.info("published snapshot %s in %.2f s", final, snap.seconds)
    return snap


# A publish asked for while one ran starts only after a pause of PACE times the last one's
# length (at most PACE_MAX seconds): under a steady stream of writes, publishing (a checkpoint
# under the write lock and a copy of the whole file) takes at most a fifth of the time.
PACE = 4.0
PACE_MAX = 60.0


class Publisher:
    """Publishes in the background after the service's writes (snapshot.publish_after_ingest):
    one publish at a time; writes during a publish ask for exactly one more after it, so a burst
    of ingests costs at most two publishes, never a queue. That one more waits a pause (PACE)
    unless someone waits for the publishes (wait())."""

    def __init__(self, publish_now: Callable[[], Snapshot]) -> None:
        self._publish_now = publish_now
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self.last: Snapshot | None = None
        self.last_error: str | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._hurry = threading.Event()  # set by wait(): no pause before the next publish

    def request(self) -> None:
        """Ask for a publish soon (returns at once)."""
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
            self._idle.clear()
        threading.Thread(target=self._loop, name="snapshot-publisher", daemon=True).start()

    def _loop(self) -> None:
        while True:
            started = time.monotonic()
            try:
                self.last, self.last_error = self._publish_now(), None
            except Exception as exc:  # recorded and logged; the next write asks again
                self.last_error = str(exc)
                log.error("publishing the snapshot failed: %s", exc)
            with self._lock:
                if not self._again:
                    self._running = False
                    self._hurry.clear()
                    self._idle.set()
                    return
            self._hurry.wait(min(PACE_MAX, PACE * (time.monotonic() - started)))
            with self._lock:
                self._again = False

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no publish is running or asked for (without pauses); False on timeout."""
        if not self._idle.is_set():
            self._hurry.set()
        return self._idle.wait(timeout)
