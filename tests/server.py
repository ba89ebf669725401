"""A real `attribution serve` on a free port of 127.0.0.1, for end-to-end tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Served:
    url: str
    pid: int


@contextmanager
def serving(env: dict[str, str], log_path: Path) -> Iterator[Served]:
    """Start the server with env, its output in log_path (a file, not a pipe nobody reads);
    yield its URL and PID once it answers; stop it on leaving."""
    port = free_port()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "attribution", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    raise RuntimeError(log_path.read_text()) from None
                time.sleep(0.1)
        try:
            yield Served(url, proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def wait_for_log(
    path: Path, done: Callable[[str], bool], *, start: int = 0, timeout: float = 10
) -> None:
    """Poll the log at path (every 20 ms) until done(its text from byte `start`) holds, or
    `timeout` seconds pass (the caller's assertions then show what is missing). Use it where a
    line is written after the answer the test has already read, instead of a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with path.open("rb") as fh:
            fh.seek(start)
            if done(fh.read().decode(errors="replace")):
                return
        time.sleep(0.02)
