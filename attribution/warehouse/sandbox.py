"""Analysts' SQL on the published snapshot: read-only, no file, network or extension access,
locked settings, a time limit and a row limit."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from attribution.errors import NotFoundError, QueryError, QueryTimeoutError, first_line
from attribution.warehouse.statements import statement

# Set when the connection opens; lock_configuration (set right after the time zone) keeps any
# query from changing them. External access off refuses files (read_csv, COPY, ATTACH, EXPORT),
# the network, extension installs and loads, persistent secrets and scans of Python objects.
SANDBOX_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,
    "allow_extension_repositories": "forbidden",
    "python_enable_replacements": False,  # no query reads this process's Python variables
}

MISSING = (
    "no snapshot at {path}. Publish one with `attribution snapshot` (it needs the live "
    "warehouse); while `attribution serve` runs, the service publishes it (a scheduled job "
    "with a `snapshot` step)."
)


@dataclass(frozen=True)
class QueryResult:
    """Up to max_rows rows of a query; truncated when it had more."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    seconds: float


def _message(exc: duckdb.Error) -> str:
    """The message of an error of DuckDB: one line saying why when the sandbox refused, else
    DuckDB's whole message, with its hints (Did you mean, candidate bindings, where in the
    query)."""
    text = str(exc).strip()
    first = first_line(exc)
    if isinstance(exc, duckdb.PermissionException) or "disabled by configuration" in text:
        return (
            "refused: `attribution sql` reads only the snapshot's tables and views; files, "
            f"the network and extensions are off ({first})"
        )
    if "read-only mode" in text:
        return f"refused: the snapshot is read-only; temporary tables are allowed ({first})"
    if "configuration has been locked" in text:
        return f"refused: settings cannot be changed in `attribution sql` ({first})"
    return "\n".join(line.rstrip() for line in text.splitlines()) or first


class Sandbox:
    """One read-only, sandboxed connection to a snapshot file. Not for several threads."""

    def __init__(self, path: Path, *, timeout: float, max_rows: int) -> None:
        if not path.is_file():
            raise NotFoundError(MISSING.format(path=path))
        self.path = path
        self.timeout = timeout
        self.max_rows = max_rows
        # Spilled intermediates go to a private folder: the snapshot's may not be writable.
        self._spill = tempfile.mkdtemp(prefix="attribution-sql-")
        config = {**SANDBOX_CONFIG, "temp_directory": self._spill}
        try:
            self.con = duckdb.connect(str(path), read_only=True, config=config)
            self.con.execute(statement("snapshot/sandbox_timezone"))
            self.con.execute(statement("snapshot/sandbox_lock"))
        except duckdb.Error as exc:
            shutil.rmtree(self._spill, ignore_errors=True)
            raise QueryError(f"cannot open the snapshot {path}: {_message(exc)}") from None

    def query(self, sql: str) -> QueryResult:
        """Run SQL text (the last statement's rows are returned); a timer interrupts it after
        `timeout` seconds."""
        if not sql.strip().strip(";").strip():
            raise QueryError("no query given: pass one, e.g. attribution sql 'SELECT 1'")
        fired = threading.Event()

        def stop() -> None:
            fired.set()
            self.con.interrupt()

        timer = threading.Timer(self.timeout, stop)
        timer.daemon = True
        started = time.perf_counter()
        timer.start()
        try:
            self.con.execute(sql)
            described = self.con.description or []
            rows = self.con.fetchmany(self.max_rows + 1) if described else []
        except duckdb.Error as exc:
            if fired.is_set():
                raise QueryTimeoutError(
                    f"the query ran longer than {self.timeout:g} s and was stopped; narrow it "
                    "or allow more with --timeout (sql.timeout_seconds)"
                ) from None
            if isinstance(exc, duckdb.InterruptException):
                raise QueryError("the query was interrupted") from None
            raise QueryError(_message(exc)) from None
        finally:
            timer.cancel()
        return QueryResult(
            columns=[str(d[0]) for d in described],
            types=[str(d[1]) for d in described],
            rows=rows[: self.max_rows],
            truncated=len(rows) > self.max_rows,
            seconds=time.perf_counter() - started,
        )

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self._spill, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
