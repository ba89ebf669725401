"""API load benchmark: a real `attribution serve` with 200 sources and 20,000 leads, driven by
50 concurrent keep-alive clients for a fixed number of requests, in two mixes:

    reads  list (name order) and get-one, half each
    mixed  80 % reads, 20 % writes (creates and updates)

Prints requests per second, p50 / p99 latency and errors per mix. The load generator is a small
asyncio HTTP/1.1 client in this process; it shares the machine's cores with the server.

    python benchmarks/api_load.py
    python benchmarks/api_load.py --requests 20000 --clients 50
    python benchmarks/api_load.py --mixes mixed     # the mixed run only

Each mix's line ends with the machine's load average (1 minute) before and after it: the
figures are only comparable between runs on an equally loaded machine. The server's CPU time
per request (all its threads) depends much less on what else runs: it says what a request
costs, where requests per second say how much of the machine the server got.

--soak runs one long mixed load instead (default 10,000 requests from 50 clients) and then
checks the warehouse against what the clients were told. Each client owns what it makes:

    reads     the list (all, own sources by search, a page), one source; a client reading one
              of its own sources must see its last acknowledged write (the read cache)
    sources   creates (and now and then a create repeating an own name: 409), updates of name,
              channel, active and UTM campaign, deletes, bulk activate / deactivate /
              set_channel / delete of own sources (and a bulk naming a missing id: 409)
    ingest    JSON arrays of new leads over /api/v1/ingest/leads, each with one bad row; now
              and then a batch lacking created_at (422) or an acknowledged batch sent again

After the server stops, the warehouse must hold every source whose create answered 200, once,
with the fields of its last acknowledged write, none that was deleted, none the clients were
not told of, every acknowledged batch loaded once with its leads and its rejected row, and no
lead of a refused batch or bad row. Any 5xx or unanswered request fails the soak. The server's
VmRSS is sampled every second: start, peak, end and the slope over the second half.

    python benchmarks/api_load.py --soak
    python benchmarks/api_load.py --soak --requests 2000 --clients 20
    python benchmarks/api_load.py --soak --no-ingest    # reads and registry writes only
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
# This folder holds attribution.py: keep it off the path so `import attribution` finds the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    reads: list[float] = field(default_factory=list)  # the GETs' latencies
    writes: list[float] = field(default_factory=list)  # the creates' and changes' latencies

    def split(self) -> str:
        """The writes' p50 and p99 beside the reads', when the mix has writes."""
        if not self.writes:
            return ""
        reads, writes = sorted(self.reads), sorted(self.writes)
        return (
            f"; writes p50 {_pct(writes, 0.5):.1f} ms, p99 {_pct(writes, 0.99):.1f} ms, "
            f"reads p50 {_pct(reads, 0.5):.1f} ms, p99 {_pct(reads, 0.99):.1f} ms"
        )


def _pct(ordered: list[float], q: float) -> float:
    """The q-quantile of sorted seconds, in ms (as the mixes' p50 and p99 are taken)."""
    return (
        ordered[min(len(ordered) - 1, max(0, int(len(ordered) * q) - 1))] * 1000 if ordered else 0.0
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(folder: Path, sources: int, leads: int) -> tuple[dict[str, str], str]:
    """A warehouse with the sources, leads naming them, and a token; returns env and token."""
    from attribution.config import load_settings
    from attribution.registry.schemas import SourceUpdate
    from attribution.registry.sources import create_source
    from attribution.registry.tokens import create_token
    from attribution.service.pipeline import Pipeline

    env = {
        **os.environ,
        "ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb"),
        # Ingests make the service publish the analysts' snapshot: here, not in the repository.
        "ATTRIBUTION_SNAPSHOT__PATH": str(folder / "snapshot" / "wh.duckdb"),
    }
    with Pipeline.open(load_settings(environ=env)) as pipe:
        for i in range(sources - 2):
            fields, _ = SourceUpdate.parse(
                {"name": f"Source {i:03d}", "channel": ["Paid Search", "Email", "Referral"][i % 3]},
                creating=True,
            )
            create_source(pipe.warehouse, fields=fields)
        pipe.warehouse.con.execute(
            "COPY (SELECT 'L' || range AS lead_id, TIMESTAMP '2026-01-01' + INTERVAL (range) MINUTE"
            " AS created_at, 1 + range % $n AS source_id FROM range($leads)) TO $path (HEADER)",
            {"n": sources, "leads": leads, "path": str(folder / "leads.csv")},
        )
        pipe.ingest("leads", folder / "leads.csv")
        token, _ = create_token(pipe.warehouse, name="bench")
    return env, token


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[int, bytes]:
    """Send one request on a keep-alive connection; the status and body of the answer."""
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    return (await _exchange(reader, writer, raw))[0]


def _build(method: str, path: str, token: str, body: dict[str, object] | None = None) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"authtoken: {token}"]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def drive(
    port: int, token: str, total: int, clients: int, write_share: float, sources: int, seed: int
) -> tuple[Tally, float]:
    rng = random.Random(seed)
    plan: list[bytes] = []
    for n in range(total):
        r = rng.random()
        if r < write_share / 2:
            plan.append(_build("POST", "/api/lead_sources", token, {"name": f"New {seed}-{n}"}))
        elif r < write_share:
            sid = rng.randint(3, sources)
            plan.append(
                _build(
                    "PUT",
                    f"/api/lead_sources/{sid}",
                    token,
                    {"channel": rng.choice(["Email", "Referral", "Event"])},
                )
            )
        elif r < write_share + (1 - write_share) / 2:
            plan.append(_build("GET", "/api/lead_sources", token))
        else:
            plan.append(_build("GET", f"/api/lead_sources/{rng.randint(1, sources)}", token))
    tally = Tally()
    queue = iter(plan)

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for raw in queue:
            t0 = time.perf_counter()
            status = await _request(reader, writer, raw)
            tally.latencies.append(time.perf_counter() - t0)
            (tally.reads if raw.startswith(b"GET") else tally.writes).append(tally.latencies[-1])
            if status >= 300:
                tally.errors[status] = tally.errors.get(status, 0) + 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return tally, time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system, all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def serving(folder: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A real `attribution serve` on a free local port, stopped on leaving."""
    port = free_port()
    log = (folder / "server.log").open("wb")  # a file, not a pipe nobody reads
    server = subprocess.Popen(
        [sys.executable, "-m", "attribution", "serve", "--port", str(port)],
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "server did not start:\n" + (folder / "server.log").read_text()
                    ) from None
                time.sleep(0.1)
        yield server, port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


# --------------------------------------------------------------------------------------------
# Soak: a long mixed load, then the final state against what the clients were told
# --------------------------------------------------------------------------------------------

SOURCE_FIELDS = ("name", "channel", "utm_source", "utm_medium", "utm_campaign", "active")
CHANNELS = ("Email", "Referral", "Event", "Paid Search", "Display")
MISSING_ID = 999_999_999
# Operation -> weight (per cent): the mix every soak client draws from.
SOAK_MIX = {
    "list": 14,
    "get": 10,
    "read_own": 12,
    "create": 14,
    "create_taken": 2,
    "update": 16,
    "bulk": 6,
    "bulk_refused": 1,
    "delete": 4,
    "ingest": 17,
    "ingest_refused": 2,
    "ingest_again": 2,
}
# --no-ingest: the same mix without its ingests (reads and registry writes only).
REGISTRY_MIX = {op: weight for op, weight in SOAK_MIX.items() if not op.startswith("ingest")}


@dataclass
class Batch:
    """An ingest the service acknowledged: its body, batch id, good leads and the bad one."""

    body: bytes
    batch_id: int
    leads: list[str]
    rejected: str


@dataclass
class Ledger:
    """What one client was told: the state its acknowledged writes must have left."""

    client: int
    prefix: str
    sources: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> fields
    deleted: set[int] = field(default_factory=set)
    batches: list[Batch] = field(default_factory=list)
    absent_leads: list[str] = field(default_factory=list)  # refused batches' and bad rows
    # Entities whose request got no answer (outcome unknown): not checked.
    unsure_sources: set[int] = field(default_factory=set)
    unsure_names: set[str] = field(default_factory=set)
    unsure_leads: set[str] = field(default_factory=set)
    made: int = 0  # sources created, for unique names
    sent: int = 0  # batches sent, for unique lead ids


@dataclass
class SoakTally:
    latencies: list[float] = field(default_factory=list)
    ops: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)  # 5xx
    unanswered: list[str] = field(default_factory=list)  # transport errors
    surprises: list[str] = field(default_factory=list)  # answers the mix did not expect


Answer = Callable[[int, Any], None]
Unknown = Callable[[], None]
# An operation: its name, method, path, JSON body (encoded), and what to book on an answer and
# on no answer.
Op = tuple[str, str, str, bytes | None, Answer, Unknown]


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


class SoakClient:
    """One client: draws its operations, sends them in order, books what it is told."""

    def __init__(
        self,
        number: int,
        seed: int,
        token: str,
        tally: SoakTally,
        ledger: Ledger,
        mix: dict[str, int] = SOAK_MIX,
    ):
        self.mix = mix
        self.rng = random.Random(f"{seed}-{number}")
        self.token, self.tally, self.ledger = token, tally, ledger
        self.number = number

    def surprise(self, op: str, status: int, body: Any) -> None:
        self.tally.surprises.append(f"client {self.number} {op}: {status} {str(body)[:200]}")

    def own(self) -> int | None:
        live = [sid for sid in self.ledger.sources if sid not in self.ledger.unsure_sources]
        return self.rng.choice(live) if live else None

    # -- the operations: (name, method, path, body, on answer, on no answer) ----------------

    def next_op(self) -> Op:
        names = list(self.mix)
        op = self.rng.choices(names, weights=[self.mix[n] for n in names])[0]
        sid = self.own()
        if sid is None and op in ("read_own", "create_taken", "update", "bulk", "delete"):
            op = "create"
        if op == "ingest_again" and not self.ledger.batches:
            op = "ingest"
        ops: dict[str, Callable[[int | None], Op]] = {
            "list": self.op_list,
            "get": self.op_get,
            "read_own": self.op_read_own,
            "create": self.op_create,
            "create_taken": self.op_create_taken,
            "update": self.op_update,
            "bulk": self.op_bulk,
            "bulk_refused": self.op_bulk_refused,
            "delete": self.op_delete,
            "ingest": self.op_ingest,
            "ingest_refused": self.op_ingest_refused,
            "ingest_again": self.op_ingest_again,
        }
        return ops[op](sid)

    def op_list(self, _: int | None) -> Op:
        shape = self.rng.random()
        if shape < 0.5:
            query = f"?search={self.ledger.prefix.replace(' ', '%20')}"
        elif shape < 0.8:
            query = f"?page={self.rng.randint(1, 5)}&per_page=50&sort=-id"
        else:
            query = ""

        def answer(status: int, body: Any) -> None:
            if status != 200:
                self.surprise("list", status, body)
            elif query.startswith("?search"):
                self.check_own_list(body)

        return "list", "GET", "/api/lead_sources" + query, None, answer, lambda: None

    def check_own_list(self, items: list[dict[str, Any]]) -> None:
        """The list of this client's sources is exactly what it was told (read your writes)."""
        seen = {int(item["id"]): item for item in items}
        sure = {s: f for s, f in self.ledger.sources.items() if s not in self.ledger.unsure_sources}
        for sid, fields in sure.items():
            shown = seen.get(sid)
            if shown is None or any(shown[k] != v for k, v in fields.items()):
                self.surprise("list (stale)", 200, f"source {sid}: {shown} != {fields}")
        for sid in seen.keys() - self.ledger.sources.keys():
            if seen[sid]["name"] not in self.ledger.unsure_names:
                self.surprise("list (phantom)", 200, seen[sid])

    def op_get(self, _: int | None) -> Op:
        sid = self.rng.randint(1, 400)

        def answer(status: int, body: Any) -> None:
            if status not in (200, 404):
                self.surprise("get", status, body)

        return "get", "GET", f"/api/lead_sources/{sid}", None, answer, lambda: None

    def op_read_own(self, sid: int | None) -> Op:
        assert sid is not None
        expected = dict(self.ledger.sources[sid])

        def answer(status: int, body: Any) -> None:
            if status != 200 or any(body.get(k) != v for k, v in expected.items()):
                self.surprise("read own (stale)", status, f"{body} != {expected}")

        return "read_own", "GET", f"/api/lead_sources/{sid}", None, answer, lambda: None

    def fresh_name(self) -> str:
        self.ledger.made += 1
        return f"{self.ledger.prefix}{self.ledger.made}"

    def op_create(self, _: int | None) -> Op:
        name = self.fresh_name()
        fields = {
            "name": name,
            "channel": self.rng.choice(CHANNELS),
            # A UTM rule of its own: no other source can claim it.
            "utm_source": f"soak{self.number}",
            "utm_medium": f"m{self.ledger.made}",
            "utm_campaign": self.rng.choice([None, "spring", "autumn"]),
            "active": self.rng.random() < 0.8,
        }

        def answer(status: int, body: Any) -> None:
            if status == 200 and isinstance(body.get("record_id"), int):
                self.ledger.sources[body["record_id"]] = fields
            else:
                self.surprise("create", status, body)

        def unknown() -> None:
            self.ledger.unsure_names.add(name)

        body = _json({k: v for k, v in fields.items() if v is not None})
        return "create", "POST", "/api/lead_sources", body, answer, unknown

    def op_create_taken(self, sid: int | None) -> Op:
        assert sid is not None
        name = str(self.ledger.sources[sid]["name"]).upper()  # names are unique ignoring case

        def answer(status: int, body: Any) -> None:
            if status != 409:
                self.surprise("create taken", status, body)
                if status == 200 and isinstance(body.get("record_id"), int):
                    self.ledger.unsure_sources.add(body["record_id"])

        body = _json({"name": name})
        return "create_taken", "POST", "/api/lead_sources", body, answer, lambda: None

    def op_update(self, sid: int | None) -> Op:
        assert sid is not None
        change: dict[str, Any] = {}
        while not change:
            if self.rng.random() < 0.5:
                change["channel"] = self.rng.choice(CHANNELS)
            if self.rng.random() < 0.3:
                change["active"] = self.rng.random() < 0.5
            if self.rng.random() < 0.3:
                change["utm_campaign"] = self.rng.choice(["spring", "autumn", "winter"])
            if self.rng.random() < 0.2:
                change["name"] = self.fresh_name()

        def answer(status: int, body: Any) -> None:
            if status == 200:
                self.ledger.sources[sid].update(change)
            else:
                self.surprise("update", status, body)

        def unknown() -> None:
            self.ledger.unsure_sources.add(sid)

        return "update", "PUT", f"/api/lead_sources/{sid}", _json(change), answer, unknown

    def op_bulk(self, sid: int | None) -> Op:
        assert sid is not None
        sure = [s for s in self.ledger.sources if s not in self.ledger.unsure_sources]
        ids = self.rng.sample(sure, min(len(sure), self.rng.randint(1, 3)))
        action = self.rng.choice(["activate", "deactivate", "set_channel", "delete"])
        body: dict[str, Any] = {"action": action, "ids": [str(i) for i in ids]}
        if action == "set_channel":
            body["channel"] = self.rng.choice(CHANNELS)

        def answer(status: int, reply: Any) -> None:
            if status == 200 and reply.get("affected") == len(ids):
                self.apply_bulk(action, ids, body.get("channel"))
            elif not (status == 409 and action == "delete"):  # a source leads name: in use
                self.surprise("bulk", status, reply)

        def unknown() -> None:
            self.ledger.unsure_sources.update(ids)

        return "bulk", "POST", "/api/lead_sources/bulk", _json(body), answer, unknown

    def apply_bulk(self, action: str, ids: list[int], channel: str | None) -> None:
        for i in ids:
            if action == "delete":
                del self.ledger.sources[i]
                self.ledger.deleted.add(i)
            elif action == "set_channel":
                self.ledger.sources[i]["channel"] = channel
            else:
                self.ledger.sources[i]["active"] = action == "activate"

    def op_bulk_refused(self, sid: int | None) -> Op:
        ids = [str(s) for s in list(self.ledger.sources)[:2]] + [str(MISSING_ID)]
        body = {"action": "deactivate", "ids": ids}

        def answer(status: int, reply: Any) -> None:
            if status != 409:
                self.surprise("bulk refused", status, reply)

        return "bulk_refused", "POST", "/api/lead_sources/bulk", _json(body), answer, lambda: None

    def op_delete(self, sid: int | None) -> Op:
        assert sid is not None

        def answer(status: int, body: Any) -> None:
            if status == 200:
                del self.ledger.sources[sid]
                self.ledger.deleted.add(sid)
            elif status != 409:  # 409: leads name it, it stays
                self.surprise("delete", status, body)

        def unknown() -> None:
            self.ledger.unsure_sources.add(sid)

        return "delete", "DELETE", f"/api/lead_sources/{sid}", None, answer, unknown

    def leads(self, rows: int) -> tuple[list[dict[str, Any]], list[str], str]:
        self.ledger.sent += 1
        stem = f"S{self.ledger.prefix.split()[1]}{self.ledger.sent}-"
        records: list[dict[str, Any]] = []
        for i in range(rows):
            record: dict[str, Any] = {
                "lead_id": f"{stem}{i}",
                "created_at": f"2026-03-02T10:{i % 60:02d}:00Z",
            }
            sid = self.own() if self.rng.random() < 0.3 else None
            if sid is not None:
                record["source_id"] = sid  # the source is then in use: deletes answer 409
            records.append(record)
        bad = f"{stem}bad"
        records.insert(self.rng.randint(0, rows), {"lead_id": bad, "created_at": "never"})
        return records, [r["lead_id"] for r in records if r["lead_id"] != bad], bad

    def op_ingest(self, _: int | None) -> Op:
        records, good, bad = self.leads(self.rng.randint(3, 12))
        body = json.dumps(records).encode()

        def answer(status: int, reply: Any) -> None:
            self.ledger.absent_leads.append(bad)
            fine = status == 200 and isinstance(reply.get("batch_id"), int)
            if fine and (reply["loaded"], reply["rejected"]) == (len(good), 1):
                self.ledger.batches.append(Batch(body, reply["batch_id"], good, bad))
            else:
                self.surprise("ingest", status, reply)
                self.ledger.unsure_leads.update(good)

        def unknown() -> None:
            self.ledger.unsure_leads.update([*good, bad])

        return "ingest", "POST", "/api/v1/ingest/leads", body, answer, unknown

    def op_ingest_refused(self, _: int | None) -> Op:
        records, good, bad = self.leads(self.rng.randint(2, 5))
        for record in records:
            del record["created_at"]  # the file lacks a required column: refused whole

        def answer(status: int, reply: Any) -> None:
            if status == 422:
                self.ledger.absent_leads.extend([*good, bad])
            else:
                self.surprise("ingest refused", status, reply)
                self.ledger.unsure_leads.update([*good, bad])

        def unknown() -> None:
            self.ledger.unsure_leads.update([*good, bad])

        return "ingest_refused", "POST", "/api/v1/ingest/leads", _json(records), answer, unknown

    def op_ingest_again(self, _: int | None) -> Op:
        batch = self.rng.choice(self.ledger.batches)

        def answer(status: int, reply: Any) -> None:
            if status != 200 or reply.get("already_loaded_as") != batch.batch_id:
                self.surprise("ingest again", status, reply)

        # The very bytes of the first time: the same file, so the same hash.
        return "ingest_again", "POST", "/api/v1/ingest/leads", batch.body, answer, lambda: None

    async def run(self, port: int, requests: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(requests):
            op, method, path, body, answer, unknown = self.next_op()
            raw = _build_raw(method, path, self.token, body)
            t0 = time.perf_counter()
            try:
                status, payload = await _exchange(reader, writer, raw)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                self.tally.unanswered.append(f"client {self.number} {op} {path}: {exc!r}")
                unknown()
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            self.tally.latencies.append(time.perf_counter() - t0)
            self.tally.ops[op] += 1
            self.tally.statuses[status] += 1
            try:
                reply = json.loads(payload) if payload else None
            except ValueError:
                reply = payload[:200]
            if status >= 500:
                self.tally.server_errors.append(f"{op} {method} {path}: {status} {payload[:200]!r}")
                unknown()
                continue
            answer(status, reply)
        writer.close()


def _build_raw(method: str, path: str, token: str, payload: bytes | None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"authtoken: {token}"]
    if payload is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (payload or b"")


class RssSampler:
    """VmRSS of a process every `every` seconds, in a thread."""

    def __init__(self, pid: int, every: float = 1.0) -> None:
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        start = time.monotonic()
        while True:
            try:
                self.samples.append((time.monotonic() - start, rss_mb(self.pid)))
            except OSError:
                return
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((self.samples[-1][0] + self.every, rss_mb(self.pid)))

    def summary(self) -> dict[str, float]:
        """Start, peak and end in MB; slope of the second half in MB per minute (least
        squares)."""
        values = [mb for _, mb in self.samples]
        half = self.samples[len(self.samples) // 2 :]
        slope = 0.0
        if len(half) >= 2:
            mean_t = sum(t for t, _ in half) / len(half)
            mean_m = sum(m for _, m in half) / len(half)
            var = sum((t - mean_t) ** 2 for t, _ in half)
            cov = sum((t - mean_t) * (m - mean_m) for t, m in half)
            slope = cov / var * 60 if var else 0.0
        quarters = [values[min(len(values) - 1, len(values) * q // 4)] for q in (1, 2, 3)]
        return {
            "start": values[0],
            "q1": quarters[0],
            "q2": quarters[1],
            "q3": quarters[2],
            "peak": max(values),
            "end": values[-1],
            "slope_mb_per_min": slope,
            "samples": float(len(values)),
        }


@dataclass
class SoakResult:
    requests: int
    seconds: float
    tally: SoakTally
    ledgers: list[Ledger]
    rss: dict[str, float]
    problems: list[str]
    db: Path  # the warehouse, closed, for further checks
    batches_before: int
    db_mb: tuple[float, float]  # its size before and after the soak
    cpu: float = 0.0  # the server's CPU seconds during the soak

    @property
    def rate(self) -> float:
        return len(self.tally.latencies) / self.seconds

    def percentile(self, q: float) -> float:
        lat = sorted(self.tally.latencies)
        return lat[min(len(lat) - 1, max(0, int(len(lat) * q) - 1))] * 1000 if lat else 0.0


async def soak_drive(
    port: int, token: str, total: int, clients: int, seed: int, mix: dict[str, int]
) -> tuple[SoakTally, list[Ledger], float]:
    tally = SoakTally()
    ledgers = [Ledger(c, f"Soak {seed}x{c}-") for c in range(clients)]
    workers = [SoakClient(c, seed, token, tally, ledgers[c], mix) for c in range(clients)]
    shares = [total // clients + (1 if c < total % clients else 0) for c in range(clients)]
    started = time.perf_counter()
    await asyncio.gather(*(w.run(port, n) for w, n in zip(workers, shares, strict=True)))
    return tally, ledgers, time.perf_counter() - started


T = TypeVar("T")


def in_own_loop(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """asyncio.run in a thread of its own: the caller's thread may have a running loop (a test
    session with Playwright, for one)."""
    out: list[T] = []
    failed: list[BaseException] = []

    def target() -> None:
        try:
            out.append(asyncio.run(make()))
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=target, name="soak-clients")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return out[0]


def verify(db: Path, ledgers: list[Ledger], seed: int, batches_before: int) -> list[str]:
    """The warehouse after the soak against what every client was told."""
    import duckdb

    problems: list[str] = []
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = {
            int(r[0]): dict(zip(SOURCE_FIELDS, r[1:], strict=True))
            for r in con.execute(
                "SELECT id, name, channel, utm_source, utm_medium, utm_campaign, active "
                "FROM lead_sources WHERE name LIKE $p",
                {"p": f"Soak {seed}x%"},
            ).fetchall()
        }
        leads = dict(
            con.execute(
                "SELECT lead_id, batch_id FROM leads WHERE lead_id LIKE $p", {"p": f"S{seed}x%"}
            ).fetchall()
        )
        batches = {
            int(r[0]): r[1:]
            for r in con.execute(
                "SELECT batch_id, status, rows_loaded, rows_rejected FROM ingest_batches"
            ).fetchall()
        }
        rejected = {
            (int(b), json.loads(raw)["lead_id"])
            for b, raw in con.execute("SELECT batch_id, raw_row FROM rejected_rows").fetchall()
        }
    finally:
        con.close()
    told_sources: dict[int, dict[str, Any]] = {}
    unsure_names: set[str] = set()
    told_batches = 0
    for ledger in ledgers:
        who = f"client {ledger.client}"
        for sid, fields in ledger.sources.items():
            told_sources[sid] = fields
            if sid in ledger.unsure_sources:
                continue
            if rows.get(sid) != fields:
                problems.append(f"{who}: source {sid} is {rows.get(sid)}, was told {fields}")
        for sid in ledger.deleted - ledger.unsure_sources:
            if sid in rows:
                problems.append(f"{who}: source {sid} was deleted (200) but is there")
        unsure_names |= ledger.unsure_names | {
            str(ledger.sources[s]["name"]) for s in ledger.unsure_sources if s in ledger.sources
        }
        for batch in ledger.batches:
            told_batches += 1
            if batches.get(batch.batch_id) != ("loaded", len(batch.leads), 1):
                problems.append(
                    f"{who}: batch {batch.batch_id} is {batches.get(batch.batch_id)}, "
                    f"was told {len(batch.leads)} loaded and 1 rejected"
                )
            wrong = [lead for lead in batch.leads if leads.get(lead) != batch.batch_id]
            if wrong:
                problems.append(f"{who}: batch {batch.batch_id} lacks leads {wrong[:5]}")
            if (batch.batch_id, batch.rejected) not in rejected:
                problems.append(f"{who}: batch {batch.batch_id}'s bad row is not in rejected_rows")
        present = [x for x in ledger.absent_leads if x in leads and x not in ledger.unsure_leads]
        if present:
            problems.append(f"{who}: leads it was told were refused are stored: {present[:5]}")
    for sid, fields in rows.items():
        if sid not in told_sources and fields["name"] not in unsure_names:
            problems.append(f"source {sid} {fields['name']!r} was never acknowledged to a client")
    sure_leads = {lead for ledger in ledgers for b in ledger.batches for lead in b.leads} | {
        lead for ledger in ledgers for lead in ledger.unsure_leads
    }
    stray = sorted(set(leads) - sure_leads)
    if stray:
        problems.append(f"{len(stray)} leads no client was told were loaded, e.g. {stray[:5]}")
    unsure_batches = sum(1 for ledger in ledgers if ledger.unsure_leads)
    made = len(batches) - batches_before
    if not told_batches <= made <= told_batches + unsure_batches:
        problems.append(f"{made} batches were made; the clients were told of {told_batches}")
    return problems


def run_soak(
    folder: Path,
    *,
    requests: int,
    clients: int,
    sources: int,
    leads: int,
    seed: int,
    progress: Callable[[str], None] = lambda _: None,
    mix: dict[str, int] = SOAK_MIX,
) -> SoakResult:
    """Prepare a warehouse, soak a real server with the mix, stop it, check the warehouse."""
    env, token = prepare(folder, sources, leads)
    import duckdb

    db = folder / "wh.duckdb"
    size_before = db.stat().st_size / 2**20
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM ingest_batches").fetchone()
        batches_before = int(row[0]) if row else 0
    with serving(folder, env) as (server, port):
        progress(
            f"server: attribution serve (uvicorn, 1 process, pid {server.pid}) on 127.0.0.1:"
            f"{port}; {sources} sources, {leads:,} leads"
        )
        cpu_before = cpu_seconds(server.pid)
        with RssSampler(server.pid) as sampler:
            tally, ledgers, seconds = in_own_loop(
                lambda: soak_drive(port, token, requests, clients, seed, mix)
            )
        cpu = cpu_seconds(server.pid) - cpu_before
    problems = verify(db, ledgers, seed, batches_before)
    problems += [f"5xx: {e}" for e in tally.server_errors]
    problems += [f"no answer: {e}" for e in tally.unanswered]
    problems += [f"unexpected answer: {e}" for e in tally.surprises]
    size_after = db.stat().st_size / 2**20
    return SoakResult(
        requests,
        seconds,
        tally,
        ledgers,
        sampler.summary(),
        problems,
        db,
        batches_before,
        (size_before, size_after),
        cpu,
    )


def report_soak(result: SoakResult) -> None:
    tally, rss = result.tally, result.rss
    print(
        f"soak   {len(tally.latencies):,} requests in {result.seconds:.1f} s = "
        f"{result.rate:,.0f} req/s; p50 {result.percentile(0.5):.1f} ms, "
        f"p99 {result.percentile(0.99):.1f} ms; server CPU "
        f"{result.cpu * 1000 / max(1, len(tally.latencies)):.1f} ms per request"
    )
    print("  operations: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.ops.items())))
    print("  answers:    " + ", ".join(f"{k}: {v}" for k, v in sorted(tally.statuses.items())))
    told = sum(len(ledger.sources) for ledger in result.ledgers)
    gone = sum(len(ledger.deleted) for ledger in result.ledgers)
    loaded = sum(len(b.leads) for ledger in result.ledgers for b in ledger.batches)
    batches = sum(len(ledger.batches) for ledger in result.ledgers)
    print(f"  told: {told} sources live, {gone} deleted; {batches} batches with {loaded} leads")
    print(
        f"  server RSS: start {rss['start']:.0f} MB, peak {rss['peak']:.0f} MB, end "
        f"{rss['end']:.0f} MB; second half {rss['slope_mb_per_min']:+.1f} MB/min "
        f"({rss['samples']:.0f} samples, 1 s apart; at 1/4, 1/2, 3/4 of the run: "
        f"{rss['q1']:.0f}, {rss['q2']:.0f}, {rss['q3']:.0f} MB)"
    )
    print(f"  warehouse file: {result.db_mb[0]:.0f} MB before, {result.db_mb[1]:.0f} MB after")
    print(f"  5xx: {len(tally.server_errors)}; unanswered: {len(tally.unanswered)}")
    if result.problems:
        print(f"  FINAL STATE: {len(result.problems)} problems")
        for problem in result.problems[:30]:
            print(f"    {problem}")
    else:
        print("  final state: every acknowledged write is stored as told, nothing refused is")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=10_000, help="per mix (or in the soak)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--soak", action="store_true", help="one mixed soak, then check the final state"
    )
    parser.add_argument(
        "--no-ingest",
        action="store_true",
        help="with --soak: leave the ingests out (reads and registry writes only)",
    )
    parser.add_argument(
        "--mixes",
        type=lambda text: text.split(","),
        default=["reads", "mixed"],
        help="which mixes to run, e.g. --mixes mixed (default: reads,mixed)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="attribution-load-") as tmp:
        folder = Path(tmp)
        if args.soak:
            print(
                f"load generator: asyncio HTTP/1.1 keep-alive client, {args.clients} "
                f"connections, 1 process; {os.cpu_count()} cores shared with the server; "
                f"load average {os.getloadavg()[0]:.1f} (1 min) before"
            )
            result = run_soak(
                folder,
                requests=args.requests,
                clients=args.clients,
                sources=args.sources,
                leads=args.leads,
                seed=args.seed,
                progress=print,
                mix=REGISTRY_MIX if args.no_ingest else SOAK_MIX,
            )
            report_soak(result)
            print(f"  load average after: {os.getloadavg()[0]:.1f} (1 min), machine-wide")
            if result.problems:
                sys.exit(1)
            return
        env, token = prepare(folder, args.sources, args.leads)
        with serving(folder, env) as (server, port):
            print(
                f"server: attribution serve (uvicorn, 1 process) on 127.0.0.1:{port}; "
                f"{args.sources} sources, {args.leads:,} leads"
            )
            print(
                f"load generator: asyncio HTTP/1.1 keep-alive client, {args.clients} "
                f"connections, 1 process; {os.cpu_count()} cores shared with the server"
            )
            for label, share in (("reads", 0.0), ("mixed", 0.2)):
                if label not in args.mixes:
                    continue
                load_before = os.getloadavg()[0]
                rss_before = rss_mb(server.pid)
                cpu_before = cpu_seconds(server.pid)
                tally, secs = asyncio.run(
                    drive(port, token, args.requests, args.clients, share, args.sources, args.seed)
                )
                lat = sorted(tally.latencies)
                p50 = statistics.median(lat) * 1000
                p99 = lat[int(len(lat) * 0.99) - 1] * 1000
                errors = sum(tally.errors.values())
                rate = len(lat) / secs
                cpu = (cpu_seconds(server.pid) - cpu_before) * 1000 / len(lat)
                print(
                    f"{label:6} {len(lat):,} requests in {secs:.1f} s = {rate:,.0f} req/s; "
                    f"p50 {p50:.1f} ms, p99 {p99:.1f} ms; errors {errors} {tally.errors or ''}; "
                    f"server CPU {cpu:.2f} ms per request; "
                    f"server RSS {rss_before:.0f} -> {rss_mb(server.pid):.0f} MB; "
                    f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
                    f"{tally.split()}"
                )
    print(
        f"peak memory of the load generator: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
