"""Cached answers to reads, valid until the next write through the warehouse.

The service is the only writer of its warehouse (DuckDB lets one process hold the file), so a
write counter is an exact invalidation signal: no answer outlives a change it depends on."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from starlette.responses import Response

from ..warehouse import Warehouse


class ReadCache:
    """Response bodies keyed by request, dropped as soon as the warehouse changes."""

    def __init__(self, wh: Warehouse, size: int = 1024) -> None:
        self.wh = wh
        self.size = size
        self._generation = -1
        self._entries: OrderedDict[Hashable, tuple[int, bytes, str, dict[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Response | None:
        with self._lock:
            if self._generation != self.wh.generation:
                self._entries.clear()
                self._generation = self.wh.generation
                return None
            hit = self._entries.get(key)
            if hit is None:
                return None
            self._entries.move_to_end(key)
        status, body, media_type, headers = hit
        return Response(body, status_code=status, media_type=media_type, headers=headers)

    def put(self, key: Hashable, response: Response, generation: int) -> Response:
        """Keep the answer if nothing was written since `generation` (read before computing)."""
        with self._lock:
            if generation == self.wh.generation:  # nothing was written while computing it
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
