"""Group commit: small writes that arrive together share one transaction, so one commit (one WAL
sync) serves many, instead of each queueing for its own.

A writer queues its job. One writer at a time leads: it takes the process's write lock and runs
every job queued by then, in order, in one transaction on its own connection, then wakes each
writer whose job it ran and hands the lead to the first job queued meanwhile. A writer whose
job was run never touches the write lock (passing it from hand to hand, each needing the GIL
back from a busy event loop, had cost more than the writes). Each job's change is recorded (for
caches) after the commit, in order, before any of them is answered. A job refuses by raising
before it writes (its checks run first); should a statement fail inside the shared transaction,
it is rolled back and each job runs again alone, so only the failing one fails.

Like jobs queued together can also share one statement (Combine): jobs with the same key and no
claim in common (ids, names: what one statement cannot check between its rows) run as one call
of its `run`, which gives each job its value or its refusal. A job may run before others queued
ahead of it only if it shares no claim with them and none of them is a job that cannot share
(such a job keeps its place)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import duckdb

from attribution.errors import AttributionError, ConflictError, WarehouseError

if TYPE_CHECKING:
    from attribution.warehouse.connection import Change, Warehouse

T = TypeVar("T")
Job = Callable[["Warehouse", "Change"], T]


@dataclass(frozen=True)
class Combine:
    """How a job may share one statement with like jobs queued next to it: `run(db, parts,
    changes)` does the work of several jobs, each given by its `part`, fills each one's
    Change, and returns each one's value or refusal (an AttributionError, not raised). Jobs
    share a statement only with the same `key` and no `claims` in common."""

    key: Hashable
    part: Any
    claims: frozenset[Hashable]
    run: Callable[[Warehouse, list[Any], list[Change]], list[Any]]


@dataclass
class _Queued(Generic[T]):
    job: Job[T]
    topics: tuple[str, ...]
    combine: Combine | None = None
    done: bool = False
    value: Any = None
    error: BaseException | None = None
    change: Change | None = field(default=None)
    woken: threading.Event = field(default_factory=threading.Event)  # done, or now leading

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        result: T = self.value
        return result


class GroupCommit:
    """The queue of one warehouse's batched writes (shared by its cursors)."""

    def __init__(self) -> None:
        self._queue: deque[_Queued[Any]] = deque()
        self._leading = False  # some writer is running (or about to run) the queued jobs
        self._lock = threading.Lock()  # guards the queue and the flag, never held across work

    def run(
        self, wh: Warehouse, topics: tuple[str, ...], job: Job[T], combine: Combine | None = None
    ) -> T:
        """Run `job(db, change)` in a transaction, perhaps shared (and with `combine`, perhaps
        in a statement shared with like jobs); its value or its error."""
        mine: _Queued[T] = _Queued(job, topics, combine)
        with self._lock:
            self._queue.append(mine)
            lead, self._leading = not self._leading, True
        if not lead:
            mine.woken.wait()  # set when a leader ran the job, or handed this writer the lead
            if mine.done:
                return mine.outcome()
        batch: list[_Queued[Any]] = []
        try:
            with wh.write_lock:
                with self._lock:
                    batch = list(self._queue)
                    self._queue.clear()
                _run(wh, batch)
        finally:
            with self._lock:
                following = self._queue[0] if self._queue else None
                self._leading = following is not None
            for queued in batch:
                if not queued.done:  # _run itself was interrupted: no answer of its own
                    queued.error = WarehouseError("The write was interrupted; try again.")
                    queued.done = True
                queued.woken.set()
            if following is not None:
                following.woken.set()  # not done: it leads the next batch
        return mine.outcome()


def _attempt(db: Warehouse, queued: _Queued[Any]) -> None:
    from attribution.warehouse.connection import Change

    queued.change = Change()
    try:
        queued.value = queued.job(db, queued.change)
    except AttributionError as exc:  # a refusal, raised before the job wrote anything
        if isinstance(exc, WarehouseError):
            raise
        queued.error = exc


def _alone(db: Warehouse, queued: _Queued[Any]) -> None:
    """One job in its own transaction; a clash DuckDB finds at commit is the caller's 409."""
    queued.value, queued.error = None, None
    try:
        with db.transaction():
            _attempt(db, queued)
    except Exception as exc:
        queued.change, queued.error = None, exc
        cause = exc.__cause__ if isinstance(exc, WarehouseError) else exc
        if isinstance(cause, duckdb.ConstraintException | duckdb.TransactionException):
            queued.error = ConflictError("The change clashes with a concurrent one; try again.")


def _groups(batch: list[_Queued[Any]]) -> list[list[_Queued[Any]]]:
    """The batch as groups that run in order: like jobs share a group (a statement), a job
    joining the nearest group of its key before it unless it would pass a job sharing one of
    its claims, or a job that cannot share (which runs alone, in its place)."""
    groups: list[list[_Queued[Any]]] = []
    claims: list[set[Hashable]] = []  # each group's
    for queued in batch:
        combine = queued.combine
        home = None if combine is None else _home(groups, claims, combine)
        if combine is None or home is None:
            groups.append([queued])
            claims.append(set(combine.claims) if combine else set())
        else:
            groups[home].append(queued)
            claims[home] |= combine.claims
    return groups


def _home(
    groups: list[list[_Queued[Any]]], claims: list[set[Hashable]], combine: Combine
) -> int | None:
    """The nearest group of the same key a job may join, passing only groups that can share
    and claim nothing it claims; None: a group of its own, at the end."""
    for at in range(len(groups) - 1, -1, -1):
        first = groups[at][0].combine
        if first is None or combine.claims & claims[at]:
            return None
        if first.key == combine.key:
            return at
    return None


def _attempt_many(db: Warehouse, group: list[_Queued[Any]]) -> None:
    """Like jobs in one statement (their Combine.run); a refusal is its job's alone."""
    from attribution.warehouse.connection import Change

    for queued in group:
        queued.change = Change()
    combine = group[0].combine
    assert combine is not None
    parts = [q.combine.part for q in group if q.combine is not None]
    outcomes = combine.run(db, parts, [q.change for q in group if q.change is not None])
    for queued, outcome in zip(group, outcomes, strict=True):
        if isinstance(outcome, WarehouseError):
            raise outcome
        if isinstance(outcome, AttributionError):
            queued.error = outcome
        else:
            queued.value = outcome


def _run(wh: Warehouse, batch: list[_Queued[Any]]) -> None:
    """Every queued job in one transaction; should a statement fail, each job alone."""
    db = wh.reader()  # this thread's own connection
    try:
        with db.transaction():
            for group in _groups(batch):
                if len(group) == 1:
                    _attempt(db, group[0])
                else:
                    _attempt_many(db, group)
    except Exception:
        for queued in batch:
            _alone(db, queued)
    for queued in batch:
        if queued.change is not None:
            wh.note_change(queued.topics, queued.change)
        queued.done = True
