"""Analysts' SQL on the published snapshot: read-only, no file, network or extension access,
locked settings, a memory limit, a time limit and a row limit. Queries run in a worker process
(sandbox_worker) that this module stops when it overruns, whatever DuckDB is doing."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

import attribution
from attribution.errors import NotFoundError, QueryError, QueryTimeoutError
from attribution.warehouse import sandbox_worker

# Set when the connection opens; lock_configuration (set right after the time zone) keeps any
# query from changing them. External access off refuses files (read_csv, COPY, ATTACH, EXPORT),
# the network, extension installs and loads, persistent secrets and scans of Python objects.
# No temp_directory: DuckDB lets a query write into it (COPY ... TO), so nothing spills and a
# query that needs more than memory_limit fails.
SANDBOX_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,
    "allow_extension_repositories": "forbidden",
    "python_enable_replacements": False,  # no query reads this process's Python variables
    "temp_directory": "",
    "max_temp_directory_size": "0B",
}
# Statements refused before they run, whatever their target: they write files.
WRITERS = {duckdb.StatementType.COPY, duckdb.StatementType.EXPORT}
GRACE = 1.5  # seconds past the time limit before the worker is killed, if DuckDB did not stop
OPEN_SECONDS = 60.0

MISSING = (
    "no snapshot at {path}. Publish one with `attribution snapshot` (it needs the live "
    "warehouse); while `attribution serve` runs, the service publishes it (a scheduled job "
    "with a `snapshot` step)."
)
NOT_SNAPSHOT = (
    "refused: {path} is not a published snapshot (it has no snapshot_info table); "
    "`attribution sql` never opens the live warehouse: query a snapshot from `attribution snapshot`"
)


@dataclass(frozen=True)
class QueryResult:
    """Up to max_rows rows of a query; truncated when it had more."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    seconds: float


class _Gone(Exception):
    """The worker ended or did not answer in time."""


def _refuse_writes(sql: str) -> None:
    try:
        kinds = {s.type for s in duckdb.extract_statements(sql)}
    except duckdb.Error:
        return  # the worker reports the syntax error, with DuckDB's hints
    if kinds & WRITERS:
        raise QueryError(
            "refused: `attribution sql` writes no files: COPY and EXPORT DATABASE are not run"
        )


class Sandbox:
    """One read-only, sandboxed session on a snapshot file, in a worker process. Not for
    several threads."""

    def __init__(self, path: Path, *, timeout: float, max_rows: int, memory_mb: int = 2048) -> None:
        if not path.is_file():
            raise NotFoundError(MISSING.format(path=path))
        self.path = path
        self.timeout = timeout
        self.max_rows = max_rows
        self.memory_mb = memory_mb
        self._worker: subprocess.Popen[bytes] | None = None
        self._start()

    def _start(self) -> None:
        root = str(Path(attribution.__file__).parent.parent)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", sandbox_worker.__name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self._worker = worker
        config = {**SANDBOX_CONFIG, "memory_limit": f"{self.memory_mb}MB"}
        try:
            reply = self._ask((str(self.path), config, self.memory_mb * 2**20), OPEN_SECONDS)
        except _Gone:
            self._stop()
            raise QueryError(f"cannot open the snapshot {self.path}: its process ended") from None
        if reply[0] != "ok":
            self._stop()
            if reply[0] == "not_snapshot":
                raise QueryError(NOT_SNAPSHOT.format(path=self.path))
            raise QueryError(f"cannot open the snapshot {self.path}: {reply[1]}")

    def _ask(self, request: object, seconds: float) -> Any:
        """Send a request to the worker and wait up to `seconds` for its answer."""
        worker = self._worker
        assert worker is not None and worker.stdin is not None and worker.stdout is not None
        try:
            sandbox_worker.send(worker.stdin, request)
        except OSError:
            raise _Gone from None
        ready, _, _ = select.select([worker.stdout], [], [], seconds)
        reply = sandbox_worker.receive(worker.stdout) if ready else None
        if reply is None:
            raise _Gone
        return reply

    def _stop(self) -> None:
        """End the worker (its temporary tables go with it)."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        if worker.stdin is not None:
            worker.stdin.close()
        try:
            worker.wait(1)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        if worker.stdout is not None:
            worker.stdout.close()

    def _kill(self) -> None:
        if self._worker is not None:
            self._worker.kill()
        self._stop()

    def query(self, sql: str) -> QueryResult:
        """Run SQL text (the last statement's rows are returned); it is interrupted after
        `timeout` seconds and its process killed GRACE seconds later if it has not stopped."""
        if not sql.strip().strip(";").strip():
            raise QueryError("no query given: pass one, e.g. attribution sql 'SELECT 1'")
        _refuse_writes(sql)
        if self._worker is None:
            self._start()  # the last query's process was stopped
        try:
            kind, value = self._ask((sql, self.timeout, self.max_rows), self.timeout + GRACE)
        except _Gone:
            died = self._worker is not None and self._worker.poll() is not None
            self._kill()
            if died:
                raise QueryError(
                    "the query's process ended; "
                    f"it may have needed more than sql.memory_limit_mb ({self.memory_mb} MB)"
                ) from None
            kind, value = "timeout", ""
        except KeyboardInterrupt:
            self._kill()
            raise
        if kind == "timeout":
            raise QueryTimeoutError(
                f"the query ran longer than {self.timeout:g} s and was stopped; narrow it "
                "or allow more with --timeout (sql.timeout_seconds)"
            )
        if kind == "memory":
            raise QueryError(
                f"refused: the query needs more than the memory limit of {self.memory_mb} MB "
                f"(sql.memory_limit_mb); narrow it ({value})"
            )
        if kind != "ok":
            raise QueryError(str(value))
        columns, types, rows, seconds = value
        return QueryResult(
            columns=columns,
            types=types,
            rows=rows[: self.max_rows],
            truncated=len(rows) > self.max_rows,
            seconds=seconds,
        )

    def close(self) -> None:
        self._stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
