"""Cached answers to reads, valid until the next write through the warehouse.

The service is the only writer of its warehouse (DuckDB lets one process hold the file), so the
write counters of Warehouse.writing() are an exact invalidation signal: no answer outlives a
change it depends on."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

from starlette.responses import Response

from attribution.warehouse.connection import Warehouse


def _plain(response: Response) -> dict[str, str]:
    """A response's headers less the length (the copy computes its own)."""
    return {k: v for k, v in response.headers.items() if k != "content-length"}


Tag = Hashable  # what an answer depends on: LIST (every source) or a source id
LIST = "list"


class ReadCache:
    """Response bodies keyed by request, dropped as soon as something they read changes.

    A change that names its rows (a registry write) drops the lists and those rows' answers;
    any other write of the topics (an ingest) drops everything."""

    def __init__(self, wh: Warehouse, topics: tuple[str, ...], size: int = 1024) -> None:
        self.wh = wh
        self.topics = topics
        self.size = size
        self._generation: tuple[int, ...] = self.generation()
        self._entries: OrderedDict[Hashable, tuple[Tag, int, bytes, str, dict[str, str]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        self._inflight: dict[Hashable, asyncio.Future[Response]] = {}

    async def single_flight(
        self, key: Hashable, compute: Callable[[], Awaitable[Response]]
    ) -> Response:
        """One computation per key at a time: requests that miss together share its answer.

        Runs on the server's event loop, so the in-flight table needs no lock."""
        running = self._inflight.get(key)
        if running is not None:
            shared = await asyncio.shield(running)
            return Response(
                bytes(shared.body),
                status_code=shared.status_code,
                media_type=shared.media_type,
                headers=_plain(shared),
            )
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            response = await compute()
            future.set_result(response)
            return response
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, no "never retrieved" warning
            raise
        finally:
            del self._inflight[key]

    def generation(self) -> tuple[int, ...]:
        """The write generation of the topics the cached answers depend on."""
        return self.wh.generation(*self.topics)

    def _catch_up(self, current: tuple[int, ...]) -> None:
        """Drop what the writes since the last look changed (under self._lock)."""
        if current == self._generation:
            return
        changed: set[int] = set()
        for topic, before, now in zip(self.topics, self._generation, current, strict=True):
            keys = self.wh.changed_keys(topic, before, now)
            if keys is None:
                self._entries.clear()
                self._generation = current
                return
            changed |= keys
        stale = [k for k, e in self._entries.items() if e[0] == LIST or e[0] in changed]
        for key in stale:
            del self._entries[key]
        self._generation = current

    def get(self, key: Hashable) -> Response | None:
        with self._lock:
            self._catch_up(self.generation())
            hit = self._entries.get(key)
            if hit is None:
                return None
            self._entries.move_to_end(key)
        _tag, status, body, media_type, headers = hit
        return Response(body, status_code=status, media_type=media_type, headers=headers)

    def put(
        self, key: Hashable, tag: Tag, response: Response, generation: tuple[int, ...]
    ) -> Response:
        """Keep the answer if nothing was written since `generation` (read before computing)."""
        with self._lock:
            current = self.generation()
            if generation == current:  # nothing was written while computing it
                self._catch_up(current)
                headers = _plain(response)
                media_type = response.media_type or ""
                body = bytes(response.body)
                self._entries[key] = (tag, response.status_code, body, media_type, headers)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return response
