"""Issue 17, uploads: a real `attribution serve` stays responsive during a wide ingest and
refuses decompression bombs (gzip, Parquet) before they cost it time or memory."""

from __future__ import annotations

import gzip
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from attribution.config import load_settings
from attribution.registry.tokens import create_token
from attribution.service.pipeline import Pipeline

from .server import serving

MIB = 1 << 20


@dataclass
class Server:
    url: str
    token: str
    pid: int


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("hardening")
    env = {
        **os.environ,
        "ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb"),
        "ATTRIBUTION_SNAPSHOT__PATH": str(folder / "snapshot.duckdb"),
        "ATTRIBUTION_WAREHOUSE__THREADS": "1",
        "ATTRIBUTION_INGEST__MAX_COLUMNS": "20000",  # the wide upload below is let in
        "ATTRIBUTION_API__MAX_UPLOAD_ROWS": "10000",
        "ATTRIBUTION_API__MAX_DECOMPRESSED_BYTES": str(4 * MIB),
        "ATTRIBUTION_API__MAX_COMPRESSION_RATIO": "100000",  # the byte limit is tested here
    }
    with Pipeline.open(load_settings(environ=env)) as pipe:
        token, _ = create_token(pipe.warehouse, name="uploader")
    with serving(env, folder / "server.log") as served:
        yield Server(served.url, token, served.pid)


def _memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def _upload(server: Server, name: str, data: bytes, fmt: str = "auto") -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/ingest/leads?format={fmt}",
        files={"file": (name, data, "application/octet-stream")},
        headers={"authtoken": server.token},
        timeout=60,
    )


def test_the_sign_in_page_answers_during_a_wide_ingest(server: Server) -> None:
    headers = {"authtoken": server.token}
    # A registry write first: the read cache is then behind a write, and catches up on its
    # next read, the one sent while the ingest below holds the write lock.
    made = httpx.post(server.url + "/api/lead_sources", json={"name": "Fair"}, headers=headers)
    assert made.status_code == 200
    keys = 6000
    record = {"lead_id": "W1", "created_at": "2026-03-02", **{f"c{i}": i for i in range(keys)}}
    body = json.dumps([record]).encode()
    took: dict[str, float] = {}

    def ingest() -> None:
        started = time.perf_counter()
        answer = httpx.post(
            server.url + "/api/v1/ingest/leads",
            content=body,
            headers={**headers, "content-type": "application/json"},
            timeout=120,
        )
        took["ingest"] = time.perf_counter() - started
        took["status"] = answer.status_code

    def listing() -> None:
        httpx.get(server.url + "/api/lead_sources", headers=headers, timeout=120)

    worker = threading.Thread(target=ingest)
    worker.start()
    time.sleep(0.5)  # the upload is in, the ingest runs
    reader = threading.Thread(target=listing)
    reader.start()
    time.sleep(0.1)
    started = time.perf_counter()
    page = httpx.get(server.url + "/admin/sign-in", timeout=120)
    took["sign_in"] = time.perf_counter() - started
    worker.join(timeout=120)
    reader.join(timeout=120)
    print(f"wide ingest of {keys} keys: {took}")
    assert page.status_code == 200
    assert took["status"] == 200
    assert took["ingest"] > 1.0, took  # the sign-in page was asked while it ran
    assert took["sign_in"] < 0.5, took


def test_a_gzip_bomb_is_refused_before_it_is_read(server: Server) -> None:
    line = b"B1,2026-03-02,Google,utm,medium," + b"c" * 1000 + b"\n"  # bytes before rows
    plain = b"lead_id,created_at,source,utm_source,utm_medium,utm_campaign\n" + line * (
        64 * MIB // len(line)
    )
    bomb = gzip.compress(plain, compresslevel=9)
    del plain
    assert len(bomb) < 1 * MIB
    before = _memory_kib(server.pid, "VmHWM")
    answer = _upload(server, "leads.csv.gz", bomb, fmt="csv")
    peak = _memory_kib(server.pid, "VmHWM")
    print(f"gzip bomb of {len(bomb):,} bytes: peak RSS {before} -> {peak} KiB")
    assert answer.status_code == 413
    assert answer.json()["message"] == (
        "leads.csv.gz expands to more than 4,194,304 bytes; the limit is 4,194,304 "
        "(`api.max_decompressed_bytes`). Split the file or drop what is not needed, "
        "or raise the limit in the configuration."
    )
    assert peak - before < 64 * 1024  # KiB: far below the 64 MiB the bomb holds


def test_a_parquet_file_with_too_many_rows_is_refused_by_its_metadata(
    server: Server, tmp_path: Path
) -> None:
    rows = 20_000
    table = pa.table(
        {"lead_id": [f"P{i}" for i in range(rows)], "created_at": ["2026-03-02"] * rows}
    )
    path = tmp_path / "leads.parquet"
    pq.write_table(table, path)
    started = time.perf_counter()
    answer = _upload(server, "leads.parquet", path.read_bytes())
    assert answer.status_code == 413
    assert answer.json()["message"] == (
        "leads.parquet has 20,000 rows; the limit is 10,000 (`api.max_upload_rows`). "
        "Split the file or drop what is not needed, or raise the limit in the configuration."
    )
    assert time.perf_counter() - started < 5


def test_an_upload_wider_than_max_columns_is_refused_with_413(server: Server) -> None:
    record = {"lead_id": "W2", "created_at": "2026-03-02", **{f"c{i}": i for i in range(20_000)}}
    started = time.perf_counter()
    answer = httpx.post(
        server.url + "/api/v1/ingest/leads",
        content=json.dumps([record]).encode(),
        headers={"authtoken": server.token, "content-type": "application/json"},
        timeout=60,
    )
    assert answer.status_code == 413
    assert answer.json()["message"] == (
        "records.json has 20,002 columns; the limit is 20,000 (`ingest.max_columns`). "
        "Split the file or drop what is not needed, or raise the limit in the configuration."
    )
    assert time.perf_counter() - started < 5  # refused before DuckDB's read (45 s at 50,000)
