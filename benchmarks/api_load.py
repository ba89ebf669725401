"""API load benchmark: a real `attribution serve` with 200 sources and 20,000 leads, driven by
50 concurrent keep-alive clients for a fixed number of requests, in two mixes:

    reads  list (name order) and get-one, half each
    mixed  80 % reads, 20 % writes (creates and updates)

Prints requests per second, p50 / p99 latency and errors per mix. The load generator is a small
asyncio HTTP/1.1 client in this process; it shares the machine's cores with the server.

    python benchmarks/api_load.py
    python benchmarks/api_load.py --requests 20000 --clients 50
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
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This folder holds attribution.py: keep it off the path so `import attribution` finds the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(folder: Path, sources: int, leads: int) -> tuple[dict[str, str], str]:
    """A warehouse with the sources, leads naming them, and a token; returns env and token."""
    from attribution.config import load_settings
    from attribution.pipeline import Pipeline
    from attribution.registry import create_source
    from attribution.schemas import SourceUpdate
    from attribution.tokens import create_token

    env = {**os.environ, "ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb")}
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


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


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
            if status >= 300:
                tally.errors[status] = tally.errors.get(status, 0) + 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return tally, time.perf_counter() - started


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=10_000, help="per mix")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="attribution-load-") as tmp:
        folder = Path(tmp)
        env, token = prepare(folder, args.sources, args.leads)
        port = free_port()
        log = (folder / "server.log").open("wb")
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
                        sys.exit("server did not start:\n" + (folder / "server.log").read_text())
                    time.sleep(0.1)
            print(
                f"server: attribution serve (uvicorn, 1 process) on 127.0.0.1:{port}; "
                f"{args.sources} sources, {args.leads:,} leads"
            )
            print(
                f"load generator: asyncio HTTP/1.1 keep-alive client, {args.clients} "
                f"connections, 1 process; {os.cpu_count()} cores shared with the server"
            )
            for label, share in (("reads", 0.0), ("mixed", 0.2)):
                rss_before = rss_mb(server.pid)
                tally, secs = asyncio.run(
                    drive(port, token, args.requests, args.clients, share, args.sources, args.seed)
                )
                lat = sorted(tally.latencies)
                p50 = statistics.median(lat) * 1000
                p99 = lat[int(len(lat) * 0.99) - 1] * 1000
                errors = sum(tally.errors.values())
                rate = len(lat) / secs
                print(
                    f"{label:6} {len(lat):,} requests in {secs:.1f} s = {rate:,.0f} req/s; "
                    f"p50 {p50:.1f} ms, p99 {p99:.1f} ms; errors {errors} {tally.errors or ''}; "
                    f"server RSS {rss_before:.0f} -> {rss_mb(server.pid):.0f} MB"
                )
        finally:
            server.terminate()
            server.wait(timeout=10)
            log.close()
    print(
        f"peak memory of the load generator: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
