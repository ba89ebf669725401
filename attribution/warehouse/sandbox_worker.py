"""The process that runs `attribution sql`'s queries (`python -m
attribution.warehouse.sandbox_worker`): one sandboxed DuckDB connection whose memory the
operating system caps too, so that the CLI can stop it at any time. sandbox.Sandbox talks to it
over stdin and stdout, one pickled message per length-prefixed frame."""

from __future__ import annotations

import os
import pickle
import resource
import signal
import struct
import sys
import threading
import time
from typing import IO, Any

import duckdb

from attribution.errors import first_line
from attribution.warehouse.statements import statement

FRAME = struct.Struct("!Q")
# Room above DuckDB's memory_limit for what it does not count (Python, results being fetched).
HEADROOM = 128 * 2**20


def send(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message)
    stream.write(FRAME.pack(len(data)) + data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    """The next message, or None at end of input."""
    header = _read(stream, FRAME.size)
    if header is None:
        return None
    data = _read(stream, FRAME.unpack(header)[0])
    return None if data is None else pickle.loads(data)


def _read(stream: IO[bytes], size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def message(exc: duckdb.Error) -> str:
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


def _cap_memory(limit: int) -> None:
    """Cap this process's data segment (heap and private mappings) at what it uses now plus
    limit plus HEADROOM: allocations DuckDB does not count against memory_limit (a list built
    by a function) then fail as out of memory. Linux; elsewhere DuckDB's limit alone holds."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            used = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmData"))
        cap = used + limit + HEADROOM
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    except (OSError, StopIteration, ValueError):
        pass


def _run(con: duckdb.DuckDBPyConnection, sql: str, timeout: float, max_rows: int) -> Any:
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        con.interrupt()

    timer = threading.Timer(timeout, stop)
    timer.daemon = True
    started = time.perf_counter()
    timer.start()
    try:
        con.execute(sql)
        described = con.description or []
        rows = con.fetchmany(max_rows + 1) if described else []
    except duckdb.Error as exc:
        if fired.is_set():
            return ("timeout", "")
        if isinstance(exc, duckdb.OutOfMemoryException):
            return ("memory", first_line(exc))
        if isinstance(exc, duckdb.InterruptException):
            return ("error", "the query was interrupted")
        return ("error", message(exc))
    except MemoryError:
        return ("memory", "out of memory")
    finally:
        timer.cancel()
    return (
        "ok",
        (
            [str(d[0]) for d in described],
            [str(d[1]) for d in described],
            rows,
            time.perf_counter() - started,
        ),
    )


def serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """Open the snapshot as the first message says, then answer queries until end of input."""
    path, config, limit = receive(inp)
    try:
        con = duckdb.connect(path, read_only=True, config=config)
        con.execute(statement("snapshot/sandbox_timezone"))
        con.execute(statement("snapshot/sandbox_lock"))
        marker = con.execute(statement("snapshot/sandbox_marker")).fetchone()
    except duckdb.Error as exc:
        send(out, ("error", message(exc)))
        return
    if not marker or not marker[0]:
        send(out, ("not_snapshot", ""))
        return
    _cap_memory(limit)
    send(out, ("ok", None))
    while (request := receive(inp)) is not None:
        send(out, _run(con, *request))


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the CLI's: it stops this process
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # nothing else this process prints can break a frame
    serve(sys.stdin.buffer, channel)
