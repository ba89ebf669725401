"""Server logs without secrets: tokens given as ?authtoken= are redacted from every line, however
the parameter's name is spelled or percent-encoded (`?auth%74oken=` is the same parameter)."""

from __future__ import annotations

import copy
import logging
import queue
import re
import threading
from typing import Any, TextIO
from urllib.parse import unquote_plus

# A name=value pair as a query string holds it: the name is compared once percent-decoded, as
# the server reads it, so no encoding of "authtoken" slips past.
_PAIR = re.compile(r"(?P<name>[^?&;=\s\"']+)=(?P<value>[^&\s\"']*)")


def _redacted(match: re.Match[str]) -> str:
    if unquote_plus(match["name"]).strip().lower() == "authtoken":
        return f"{match['name']}=[redacted]"
    return match[0]


def redact(text: str) -> str:
    return _PAIR.sub(_redacted, text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message and arguments (uvicorn's access log passes the request path
    with its query as an argument) so that no token reaches a log handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


class BackgroundStream(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes on a thread of its own, in order: the server's event loop
    formats a line and goes on, never waiting for the terminal, pipe or file behind it (the
    access log writes a line per request). close() writes what is left."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, name="log-writer", daemon=True)
        self._writer.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.put(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)

    def _write(self) -> None:
        while True:
            lines = [self._lines.get()]
            while lines[-1] is not None and not self._lines.empty():  # what came meanwhile
                lines.append(self._lines.get())
            try:
                self.stream.write("".join(line for line in lines if line is not None))
                self.stream.flush()
            except (OSError, ValueError):  # the stream is closed: no one is left to read it
                return
            if lines[-1] is None:
                return

    def close(self) -> None:
        if self._writer.is_alive():
            self._lines.put(None)
            self._writer.join(timeout=5)
        super().close()


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with RedactTokens on every handler, each writing on a
    thread of its own (BackgroundStream)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": RedactTokens}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact")
        if handler.get("class") == "logging.StreamHandler":
            handler["class"] = f"{__name__}.BackgroundStream"
    return config
