"""Cached answers to reads, valid until the next write through the warehouse.

The service is the only writer of its warehouse (DuckDB lets one process hold the file), so the
write counters of Warehouse.writing() are an exact invalidation signal: no answer outlives a
change it depends on."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from starlette.responses import Response

from ..warehouse import Warehouse


class ReadCache:
    """Response bodies keyed by request, dropped as soon as a topic they read changes."""

    def __init__(self, wh: Warehouse, topics: tuple[str, ...], size: int = 1024) -> None:
        self.wh = wh
        self.topics = topics
        self.size = size
        self._generation: tuple[int, ...] = ()
        self._entries: OrderedDict[Hashable, tuple[int, bytes, str, dict[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def generation(self) -> tuple[int, ...]:
        """The write generation of the topics the cached answers depend on."""
        return self.wh.generation(*self.topics)

    def get(self, key: Hashable) -> Response | None:
        with self._lock:
            current = self.generation()
            if self._generation != current:
                self._entries.clear()
                self._generation = current
                return None
            hit = self._entries.get(key)
            if hit is None:
                return None
            self._entries.move_to_end(key)
        status, body, media_type, headers = hit
        return Response(body, status_code=status, media_type=media_type, headers=headers)

    def put(self, key: Hashable, response: Response, generation: tuple[int, ...]) -> Response:
        """Keep the answer if nothing was written since `generation` (read before computing)."""
        with self._lock:
            if generation == self.generation():  # nothing was written while computing it
                if self._generation != generation:
                    self._entries.clear()
                    self._generation = generation
                headers = {k: v for k, v in response.headers.items() if k != "content-length"}
                media_type = response.media_type or ""
                self._entries[key] = (
                    response.status_code,
                    bytes(response.body),
                    media_type,
                    headers,
                )
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return response
