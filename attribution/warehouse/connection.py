"""The warehouse: one DuckDB file, its migrations, and the funnel every statement runs through."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb
import pyarrow as pa

from attribution.config import Settings
from attribution.errors import WarehouseError, WarehouseLockedError
from attribution.warehouse.batching import Combine, GroupCommit
from attribution.warehouse.statements import SQL_DIR, fill, inline, quote_ident, statement

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
# Arrow from a DB-API result (arrow_described): DuckDB warns that it copies; the rows are few.
warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)

SCHEMA_DIR = SQL_DIR / "schema"
_MIGRATION = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_PID = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")

Params = Mapping[str, Any]
T = TypeVar("T")
TOPICS = ("registry", "tokens", "data")  # what a write changes, for caches of reads


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def migrations(folder: Path = SCHEMA_DIR) -> list[Migration]:
    """The numbered migrations in sql/schema/, in order."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _MIGRATION.match(path.name)
        if not match:
            raise WarehouseError(f"{path} is not named NNNN_name.sql; rename it")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    return found


def _holder(pid: int, exe: str) -> str:
    """A readable name of the process holding the file: its command line when we can see it."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        cmd = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    except OSError:
        cmd = exe
    return f"process {pid} ({cmd or exe})"


def _locked_message(path: Path, detail: str) -> WarehouseLockedError:
    match = _LOCK_PID.search(detail)
    pid = int(match["pid"]) if match else None
    holder = _holder(pid, match["exe"]) if match and pid else "another process"
    return WarehouseLockedError(
        f"The warehouse {path} is in use by {holder}. DuckDB lets only one process open it.\n"
        "  - If that is `attribution serve`, send data through its API "
        "(POST /api/v1/ingest/<kind>) instead of the CLI.\n"
        "  - Analysts: query the published snapshot, not the live file.\n"
        "  - Otherwise wait for that process to finish, or stop it, and run this again.",
        pid=pid,
    )


@dataclass
class Change:
    """What a write changed, for caches: ids of the rows (None: anything of its topics), and
    optionally the rows as they are now, read back by the writer (None for a deleted row), so
    that caches can patch their answers in place rather than drop them."""

    keys: set[int] | None = field(default=None)
    rows: dict[int, object] | None = field(default=None)


Rows = Mapping[int, object]
ChangeLog = deque[tuple[str, int, frozenset[int] | None, Rows | None]]


class Warehouse:
    """An open DuckDB warehouse. One per process; use cursor() in other threads."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, path: Path, parent: Warehouse | None = None
    ) -> None:
        self.con = con
        self.path = path
        self._lock = threading.RLock()
        # One writer at a time in this process: DuckDB answers concurrent writes of the same
        # rows with conflicts, so every batch and registry change holds this lock.
        self.write_lock: threading.RLock = parent.write_lock if parent else threading.RLock()
        self._generations: dict[str, int] = (
            parent._generations if parent else dict.fromkeys(TOPICS, 0)
        )
        self._changes: ChangeLog = parent._changes if parent else deque(maxlen=4096)
        # Guards only the counters and the change log, never held across work: cache checks
        # on the server's event loop take it, and must not wait for an ingest (write_lock).
        self._changes_lock: threading.Lock = parent._changes_lock if parent else threading.Lock()
        self._group: GroupCommit = parent._group if parent else GroupCommit()
        # Small uploads of leads queue apart (attribution/ingest/grouped.py): a group of them
        # holds no registry write, so each checks its validation against committed changes.
        self._ingests: GroupCommit = parent._ingests if parent else GroupCommit()
        # How many caches of reads follow the change log (see watch()).
        self._watchers: list[int] = parent._watchers if parent else [0]
        self._sessions: sessionmaker[Session] | None = parent._sessions if parent else None
        self._engine: Engine | None = None
        self._readers: threading.local = parent._readers if parent else threading.local()
        # The process's first connection: a thread's reader is made from it, not from a cursor
        # that may be closed before the thread's next read.
        self._root: duckdb.DuckDBPyConnection = parent._root if parent else con
        self._failure_level = logging.ERROR  # how a failing statement is logged

    @classmethod
    def open(
        cls, settings: Settings, *, read_only: bool = False, upgrade: bool = True
    ) -> Warehouse:
        """Open (creating it if needed) and bring the schema up to date."""
        path = settings.resolve(settings.warehouse.path)
        return cls.open_path(
            path,
            read_only=read_only,
            upgrade=upgrade,
            memory_limit=settings.warehouse.memory_limit,
            threads=settings.warehouse.threads,
        )

    @classmethod
    def open_path(
        cls,
        path: Path,
        *,
        read_only: bool = False,
        upgrade: bool = True,
        memory_limit: str = "",
        threads: int = 0,
    ) -> Warehouse:
        # The allocator's background threads give memory DuckDB freed back to the system as it
        # goes; without them a large run keeps the peak of every statement (10M journeys: 1.2 GB
        # more resident after building the journeys).
        config: dict[str, str | bool | int | float | list[str]] = {
            "allocator_background_threads": True
        }
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        if read_only and not path.exists():
            raise WarehouseError(f"no warehouse at {path}; create it with `attribution init`")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise _locked_message(path, str(exc)) from None
            raise WarehouseError(f"cannot open the warehouse {path}: {exc}") from None
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open the warehouse {path}: {exc}") from None
        # Every session reads and writes plain timestamps in UTC (ICU is built in, loaded here).
        con.execute("LOAD icu")
        con.execute("SET TimeZone = 'UTC'")
        wh = cls(con, path)
        if upgrade and not read_only:
            wh.migrate()
        return wh

    def reader(self) -> Warehouse:
        """This thread's own connection for reads, kept for the thread's next reads."""
        mine: Warehouse | None = getattr(self._readers, "wh", None)
        if mine is None:
            mine = Warehouse(self._root.cursor(), self.path, parent=self)
            self._readers.wh = mine
        return mine

    def cursor(self) -> Warehouse:
        """A Warehouse on a new connection to the same database: one per thread or task.

        Temporary tables and transactions belong to it alone."""
        return Warehouse(self.con.cursor(), self.path, parent=self)

    @contextmanager
    def writing(self, *topics: str) -> Iterator[Change]:
        """Hold the process's write lock; on leaving, mark cached reads of `topics` as stale.

        The writer may say which rows it changed (change.keys) so that caches drop only those."""
        unknown = set(topics) - set(TOPICS)
        if unknown or not topics:
            raise ValueError(f"writing() takes some of {TOPICS}, not {sorted(unknown)}")
        change = Change()
        with self.write_lock:
            try:
                yield change
            finally:
                self.note_change(topics, change)

    def batched(
        self,
        topics: tuple[str, ...],
        job: Callable[[Warehouse, Change], T],
        combine: Combine | None = None,
    ) -> T:
        """Run the write `job(db, change)` under the write lock in a transaction shared with
        the writes queued meanwhile (group commit: one commit for them all); its value, or
        the error it raised. The job must raise a refusal before it writes anything. With
        `combine`, like jobs queued next to it may run in one statement instead."""
        return self._group.run(self, topics, job, combine)

    def batched_ingest(self, job: Callable[[Warehouse, Change], T], combine: Combine) -> T:
        """As batched(), for small uploads of leads, in their own queue (topic data)."""
        return self._ingests.run(self, ("data",), job, combine)

    def note_change(self, topics: tuple[str, ...], change: Change) -> None:
        """Mark cached reads of `topics` as stale, with what the write says it changed."""
        keys = None if change.keys is None else frozenset(change.keys)
        rows = None if keys is None or change.rows is None else dict(change.rows)
        with self._changes_lock:
            for topic in topics:
                self._generations[topic] += 1
                self._changes.append((topic, self._generations[topic], keys, rows))

    def watch(self) -> None:
        """Say that a cache of reads follows this warehouse's changes: writers that can say
        which rows they changed at some cost (an ingest) do so only then."""
        with self._changes_lock:
            self._watchers[0] += 1

    def watched(self) -> bool:
        """Whether some cache of reads follows the changes (see watch())."""
        return self._watchers[0] > 0

    def changes(
        self, topic: str, after: int, upto: int
    ) -> list[tuple[frozenset[int], Rows | None]] | None:
        """The writes of `topic` after generation `after` up to `upto`, in order: the ids each
        changed and, when its writer gave them, the rows. None when some write did not say
        which rows it changed, or the log no longer reaches back that far.

        Never waits for a writer: it takes only the short lock of the change log."""
        if upto == after:
            return []
        found: list[tuple[frozenset[int] | None, Rows | None]] = []
        with self._changes_lock:  # newest first, as far back as needed: the log is in order
            for t, g, k, r in reversed(self._changes):
                if t == topic and g <= after:
                    break
                if t == topic and g <= upto:
                    found.append((k, r))
        found.reverse()
        if len(found) != upto - after:
            return None
        known = [(k, r) for k, r in found if k is not None]
        return known if len(known) == len(found) else None

    def changes_of(
        self, topics: tuple[str, ...], after: tuple[int, ...], upto: tuple[int, ...]
    ) -> list[tuple[frozenset[int], Rows | None]] | None:
        """The writes of any of `topics` after generations `after` up to `upto`, in the order
        they were made (a write of one topic may follow one of another: an ingest's rows and
        a registry write's rows of the same source). None as changes() says."""
        want = {t: (a, u) for t, a, u in zip(topics, after, upto, strict=True) if u != a}
        if not want:
            return []
        found: list[tuple[frozenset[int] | None, Rows | None]] = []
        seen = dict.fromkeys(want, 0)
        done: set[str] = set()
        with self._changes_lock:  # newest first, as far back as needed: the log is in order
            for t, g, k, r in reversed(self._changes):
                if t not in want or t in done:
                    continue
                if g <= want[t][0]:
                    done.add(t)
                    if len(done) == len(want):
                        break
                elif g <= want[t][1]:
                    found.append((k, r))
                    seen[t] += 1
        found.reverse()
        if any(seen[t] != u - a for t, (a, u) in want.items()):
            return None
        known = [(k, r) for k, r in found if k is not None]
        return known if len(known) == len(found) else None

    def changed_keys(self, topic: str, after: int, upto: int) -> frozenset[int] | None:
        """Row ids of `topic` changed by writes after generation `after` up to `upto`; None
        when some write did not say, or the log no longer reaches back that far."""
        found = self.changes(topic, after, upto)
        if found is None:
            return None
        return frozenset().union(*(k for k, _ in found))

    def generation(self, *topics: str) -> tuple[int, ...]:
        """Changes after every write of these topics made through writing(): a cache key.

        Plain ints read without a lock (the version counter): safe on the event loop."""
        return tuple(self._generations[t] for t in topics)

    def sessions(self) -> sessionmaker[Session]:
        """SQLAlchemy sessions on this same database: a pooled cursor each (duckdb-engine)."""
        if self._sessions is None:
            from attribution.warehouse.sessions import make_sessions  # SQLAlchemy: when needed

            self._engine, self._sessions = make_sessions(self.con)
        return self._sessions

    def engine(self) -> Engine:
        """The SQLAlchemy engine of sessions() (for libraries that take an engine)."""
        from sqlalchemy import Engine  # imported by sessions() already

        bound = self.sessions().kw["bind"]  # shared with the parent's sessions, when a cursor
        assert isinstance(bound, Engine)
        return bound

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- migrations -------------------------------------------------------------------------

    def applied(self) -> dict[int, str]:
        """Versions already applied, with their checksums."""
        self.con.execute(statement("warehouse/create_migrations_table"))
        rows = self.con.execute(statement("warehouse/applied_migrations")).fetchall()
        return {int(v): str(c) for v, c in rows}

    def applied_list(self) -> list[Migration]:
        """The migrations this warehouse has applied, in order."""
        done = self.applied()
        return [m for m in migrations() if m.version in done]

    def migrate(self, progress: Callable[[Migration], None] | None = None) -> list[Migration]:
        """Apply the migrations not yet applied, each in its own transaction; return them.
        `progress` is told of each before it runs when an existing warehouse is upgraded (a
        migration that rebuilds a large table takes a while)."""
        done = self.applied()
        new = []
        for mig in migrations():
            if mig.version in done:
                if done[mig.version] != mig.checksum:
                    raise WarehouseError(
                        f"migration {mig.version:04d}_{mig.name} was changed after it was applied "
                        f"to {self.path}; add a new migration instead of editing an applied one"
                    )
                continue
            if progress is not None and done:
                progress(mig)
            with self.transaction():
                self.con.execute(mig.sql)
                self.execute(
                    "warehouse/record_migration",
                    {"version": mig.version, "name": mig.name, "checksum": mig.checksum},
                )
            log.info("applied migration %04d_%s", mig.version, mig.name)
            new.append(mig)
        return new

    # -- the funnel -------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN ... COMMIT; anything raised inside rolls the whole transaction back."""
        with self._lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")

    @contextmanager
    def failures_expected(self) -> Iterator[None]:
        """Inside, a failing statement is logged at DEBUG, not ERROR: the caller turns it into
        a user's error (a file DuckDB cannot read), the one line the user should see."""
        before, self._failure_level = self._failure_level, logging.DEBUG
        try:
            yield
        finally:
            self._failure_level = before

    def execute(self, name: str, params: Params | None = None) -> duckdb.DuckDBPyConnection:
        """Run sql/NAME.sql with bound values; errors name the statement and its parameters."""
        return self.execute_text(statement(name), params, name=name)

    def execute_text(
        self, sql: str, params: Params | None = None, *, name: str = "inline"
    ) -> duckdb.DuckDBPyConnection:
        """Run SQL text built from allow-listed identifiers (values still bound)."""
        try:
            with self._lock:
                return self.con.execute(sql, dict(params) if params else None)
        except duckdb.Error as exc:
            log.log(
                self._failure_level, "statement %s failed with params %r: %s", name, params, exc
            )
            raise WarehouseError(f"statement {name} failed: {exc}") from exc

    def temp_view(self, view: str, name: str, params: Params | None = None) -> None:
        """Name the rows of query sql/NAME.sql as a temporary view of this connection, its
        parameters as literals (DuckDB cannot prepare a view)."""
        sql = fill("engine/create_view", view=quote_ident(view), query=inline(name, params))
        self.execute_text(sql, name=name)

    def arrow_text(self, sql: str, *, name: str = "inline") -> pa.Table:
        """All rows of a query without parameters, as an Arrow table."""
        try:
            with self._lock:
                self.con.complete()  # an earlier statement's unread rows would block it
                table: pa.Table = self.con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            log.log(self._failure_level, "statement %s failed: %s", name, exc)
            raise WarehouseError(f"statement {name} failed: {exc}") from exc
        return table

    def arrow(self, name: str) -> pa.Table:
        """All rows of sql/NAME.sql (no parameters), as an Arrow table."""
        return self.arrow_text(statement(name), name=name)

    def arrow_described(
        self, sql: str, params: Params | None = None, *, name: str = "inline"
    ) -> tuple[pa.Table, list[tuple[str, str]]]:
        """A statement's rows as an Arrow table, with DuckDB's names and types of its columns
        (Arrow's types lose some: JSON reads as text). For a few rows: DuckDB's relation API
        (arrow_text) costs 1 to 4 ms of Python a statement, where this one only copies."""
        cur = self.execute_text(sql, params, name=name)
        with self._lock:
            described = [(str(d[0]), str(d[1])) for d in cur.description or []]
            table: pa.Table = cur.to_arrow_table()
        return table, described

    def register(self, view: str, rows: pa.Table | duckdb.DuckDBPyRelation) -> None:
        """Name an Arrow table (or a relation) for this connection's statements, as a
        temporary view would be: other connections do not see it."""
        with self._lock:
            self.con.complete()  # an earlier statement's unread rows would block it
            self.con.register(view, rows)

    def unregister(self, *views: str) -> None:
        """Let go of tables named by register() (the connection would keep their rows)."""
        with self._lock:
            for view in views:
                self.con.unregister(view)

    def relation(self, table: pa.Table) -> duckdb.DuckDBPyRelation:
        """An Arrow table as a relation of this connection, to project or register."""
        with self._lock:
            return self.con.from_arrow(table)

    def fetchall(self, name: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        return self.execute(name, params).fetchall()

    def fetchone(self, name: str, params: Params | None = None) -> tuple[Any, ...] | None:
        """The first row of a one-row statement, fetched whole: DuckDB refuses the
        connection's next statement while a result is only partly read."""
        rows = self.execute(name, params).fetchall()
        return rows[0] if rows else None

    def scalar(self, name: str, params: Params | None = None) -> Any:
        row = self.fetchone(name, params)
        return None if row is None else row[0]

    def records(self, name: str, params: Params | None = None) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name."""
        return self.records_text(statement(name), params, name=name)

    def records_text(
        self, sql: str, params: Params | None = None, *, name: str = "inline"
    ) -> list[dict[str, Any]]:
        """Rows as dicts, of SQL text built from a statement and allow-listed fragments."""
        cur = self.execute_text(sql, params, name=name)
        cols = [d[0] for d in cur.description or []]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
