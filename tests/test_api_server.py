"""End to end: a real `attribution serve` (uvicorn) on 127.0.0.1, driven over HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from attribution.config import load_settings
from attribution.registry.tokens import create_token
from attribution.service.pipeline import Pipeline

from .server import serving, wait_for_log


@dataclass
class Server:
    url: str
    token: str
    pid: int
    env: dict[str, str]
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb"),
        "ATTRIBUTION_SNAPSHOT__PATH": str(folder / "snapshot.duckdb"),
    }
    with Pipeline.open(load_settings(environ=env)) as pipe:
        token, _ = create_token(pipe.warehouse, name="php-client")
    with serving(env, folder / "server.log") as served:
        yield Server(served.url, token, served.pid, env, folder / "server.log")


def test_a_php_style_client_speaks_form_data(server: Server) -> None:
    headers = {"authtoken": server.token, "User-Agent": "PHP-curl"}
    with httpx.Client(base_url=server.url, headers=headers) as php:
        made = php.post("/api/lead_sources", data={"name": "Trade Fair", "channel": "Event"})
        assert made.status_code == 200
        new_id = made.json()["record_id"]
        assert php.put(f"/api/lead_sources/{new_id}", data={"channel": "Events"}).json() == {
            "status": True,
            "message": "Lead Source Update Successful.",
        }
        shown = php.get(f"/api/lead_sources/{new_id}").json()
        assert (shown["id"], shown["name"], shown["channel"]) == (
            str(new_id),
            "Trade Fair",
            "Events",
        )
        gone = php.delete(f"/api/delete/lead_sources/{new_id}")
        assert gone.json() == {"status": True, "message": "Lead Source Delete Successful."}


def test_concurrent_creates_store_each_name_once(server: Server) -> None:
    names = [f"Concurrent {i % 30}" for i in range(50)]  # 20 of them repeat a name

    def create(name: str) -> int:
        with httpx.Client(base_url=server.url, headers={"authtoken": server.token}) as c:
            return c.post("/api/lead_sources", json={"name": name}, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        codes = list(pool.map(create, names))
    assert sorted(set(codes)) == [200, 409]
    assert codes.count(200) == 30 and codes.count(409) == 20
    listed = httpx.get(
        server.url + "/api/lead_sources",
        params={"search": "Concurrent"},
        headers={"authtoken": server.token},
    ).json()
    assert sorted(s["name"] for s in listed) == sorted(set(names))


def test_ingest_over_http_while_the_cli_is_locked_out(server: Server, tmp_path: Path) -> None:
    csv_file = tmp_path / "leads.csv"
    csv_file.write_text("lead_id,created_at,source\nH1,2026-03-02,Google\nH2,never,Google\n")
    cli = subprocess.run(
        [sys.executable, "-m", "attribution", "ingest", "leads", str(csv_file)],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert cli.returncode == 3
    assert f"process {server.pid}" in cli.stderr
    with csv_file.open("rb") as fh:
        answer = httpx.post(
            server.url + "/api/v1/ingest/leads",
            files={"file": ("leads.csv", fh, "text/csv")},
            headers={"authtoken": server.token},
            timeout=60,
        )
    body = answer.json()
    assert answer.status_code == 200
    assert (body["loaded"], body["rejected"]) == (1, 1)
    assert body["top_reasons"] == [["created_at is not an ISO 8601 timestamp", 1]]


def test_the_docs_page_needs_no_internet(server: Server) -> None:
    page = httpx.get(server.url + "/docs", timeout=10)
    assert page.status_code == 200
    scripts = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert scripts and all(s.startswith("/") for s in scripts), scripts
    for path in scripts:
        assert httpx.get(server.url + path, timeout=10).status_code == 200, path


def test_tokens_never_reach_the_server_log(server: Server) -> None:
    start = server.log.stat().st_size
    answer = httpx.get(f"{server.url}/api/lead_sources?authtoken={server.token}", timeout=10)
    assert answer.status_code == 200
    httpx.get(f"{server.url}/api/lead_sources", headers={"authtoken": server.token}, timeout=10)
    httpx.get(f"{server.url}/api/lead_sources?authtoken=attr_wrong_guess", timeout=10)
    # The access log is written after the answer: wait for the three requests' lines.
    wait_for_log(server.log, lambda new: new.count('"GET /api/lead_sources') >= 3, start=start)
    text = server.log.read_text(errors="replace")
    assert "authtoken=[redacted]" in text  # the request was logged...
    assert server.token not in text and "attr_wrong_guess" not in text  # ...without its token
