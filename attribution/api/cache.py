"""Cached answers to reads, kept true to every write through the warehouse.

The service is the only writer of its warehouse (DuckDB lets one process hold the file), so the
change log of Warehouse.writing() is an exact signal: a write that hands over the rows it changed
has them patched into every cached view in place; any other write drops what it may touch. No
answer outlives a change it depends on."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Protocol, TypeVar, cast

from attribution.warehouse.connection import Rows, Warehouse


class View(Protocol):
    """A cached answer that can follow writes: a list of sources, or one source."""

    @property
    def watches(self) -> int | None:
        """The one row the view shows (a change of other rows leaves it be), or None: any."""
        ...

    def apply(self, changed: Mapping[int, object]) -> bool:
        """Take in the changed rows (None: deleted); False when the view must be dropped."""
        ...

    def depends(self, keys: frozenset[int]) -> bool:
        """Whether a change of these rows, not handed over, can change the view."""
        ...


V = TypeVar("V", bound=View)
Changes = list[tuple[frozenset[int], Rows | None]]


def _follows(view: View, changes: Changes) -> bool:
    """Bring a view through the changes, in order; False when it cannot be kept. A change
    that did not hand its rows over is looked for first, so a view handed out unkept is left
    as its query read it."""
    if any(rows is None and view.depends(keys) for keys, rows in changes):
        return False
    return all(view.apply(rows) for _, rows in changes if rows is not None)


class ReadCache:
    """Views keyed by what was asked, patched or dropped as soon as something they read changes.

    Runs on the server's event loop: checking it never waits for a writer (it reads version
    counters and the change log's short lock, never the write lock an ingest holds)."""

    def __init__(self, wh: Warehouse, topics: tuple[str, ...], size: int = 1024) -> None:
        self.wh = wh
        self.topics = topics
        wh.watch()
        self.size = size
        self._generation: tuple[int, ...] = self.generation()
        self._entries: OrderedDict[Hashable, View] = OrderedDict()  # least recently used first
        self._broad: dict[Hashable, None] = {}  # keys of views any row may change (lists)
        self._watching: dict[int, set[Hashable]] = {}  # row id -> keys of views of that row
        self._lock = threading.Lock()
        self._inflight: dict[Hashable, asyncio.Future[View]] = {}

    async def view(self, key: Hashable, compute: Callable[[], Awaitable[V]]) -> V:
        """The cached view of `key`, or one computed (once for all who miss together)."""
        hit = self.get(key)
        if hit is not None:
            return cast(V, hit)
        flight = (key, self.generation())
        running = self._inflight.get(flight)
        if running is not None:
            return cast(V, await asyncio.shield(running))
        future: asyncio.Future[View] = asyncio.get_running_loop().create_future()
        self._inflight[flight] = future
        try:
            generation = self.generation()  # read before the query: what it surely reflects
            made = self.put(key, await compute(), generation)
            future.set_result(made)
            return made
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, no "never retrieved" warning
            raise
        finally:
            del self._inflight[flight]

    def generation(self) -> tuple[int, ...]:
        """The write generation of the topics the cached views depend on."""
        return self.wh.generation(*self.topics)

    def _changes(self, since: tuple[int, ...], upto: tuple[int, ...]) -> Changes | None:
        """The writes since, of all the topics, in the order they were made: two writes of
        one source (an ingest's lead count, then a registry change) must apply in order."""
        return self.wh.changes_of(self.topics, since, upto)

    def _catch_up(self, current: tuple[int, ...]) -> None:
        """Patch or drop what the writes since the last look changed (under self._lock)."""
        if current == self._generation:
            return
        changes = self._changes(self._generation, current)
        self._generation = current
        if changes is None:
            self._entries.clear()
            self._broad.clear()
            self._watching.clear()
            return
        touched = frozenset().union(*(keys for keys, _ in changes))
        # Only the views a change can reach: every list, and the single rows it names.
        reached = [*self._broad, *(k for i in touched for k in self._watching.get(i, ()))]
        for key in [k for k in reached if not _follows(self._entries[k], changes)]:
            self._drop(key)

    def _keep(self, key: Hashable, view: View) -> None:
        if key in self._entries:
            self._drop(key)
        self._entries[key] = view
        if view.watches is None:
            self._broad[key] = None
        else:
            self._watching.setdefault(view.watches, set()).add(key)
        while len(self._entries) > self.size:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        view = self._entries.pop(key)
        if view.watches is None:
            del self._broad[key]
        else:
            watchers = self._watching[view.watches]
            watchers.discard(key)
            if not watchers:
                del self._watching[view.watches]

    def get(self, key: Hashable) -> View | None:
        with self._lock:
            self._catch_up(self.generation())
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, key: Hashable, view: V, generation: tuple[int, ...]) -> V:
        """Keep a view computed from a read that began at `generation`, brought up to date."""
        with self._lock:
            current = self.generation()
            self._catch_up(current)
            changes = self._changes(generation, current)
            if changes is not None and _follows(view, changes):
                self._keep(key, view)
        return view
