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
        "ATTRIBUTION_REPORTS__OUTPUT_DIR": str(folder / "reports"),
    }
    (folder / "reports").mkdir()
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


def test_an_encoded_token_parameter_is_redacted_too(server: Server) -> None:
    start = server.log.stat().st_size
    spellings = ["auth%74oken", "%61%75%74%68%74%6F%6B%65%6E", "authtok%65n"]
    for name in spellings:  # each is ?authtoken= to the server: the token is accepted
        answer = httpx.get(f"{server.url}/api/lead_sources?{name}={server.token}", timeout=10)
        assert answer.status_code == 200, name
    wait_for_log(server.log, lambda new: new.count('"GET /api/lead_sources') >= 3, start=start)
    with server.log.open("rb") as fh:
        fh.seek(start)
        new = fh.read().decode(errors="replace")
    assert server.token not in new
    assert all(f"?{name}=[redacted]" in new for name in spellings), new


def _wrong_guesses(url: str, forwarded_for: list[str]) -> list[int]:
    """One wrong token per X-Forwarded-For address, in order; their status codes."""
    return [
        httpx.get(
            url + "/api/lead_sources",
            headers={"authtoken": "attr_wrong_guess", "X-Forwarded-For": address},
            timeout=10,
        ).status_code
        for address in forwarded_for
    ]


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [
        ("[]", [401, 401, 401, 429, 429]),  # the default: a forged X-Forwarded-For is ignored
        ('["127.0.0.1"]', [401] * 5),  # a named proxy: each forwarded client counts apart
    ],
)
def test_x_forwarded_for_is_believed_only_from_trusted_proxies(
    server: Server, tmp_path: Path, trusted: str, expected: list[int]
) -> None:
    env = {
        **server.env,
        "ATTRIBUTION_WAREHOUSE__PATH": str(tmp_path / "wh.duckdb"),
        "ATTRIBUTION_API__AUTH_FAILURES_LIMIT": "3",
        "ATTRIBUTION_API__TRUSTED_PROXIES": trusted,
    }
    with serving(env, tmp_path / "server.log") as served:
        forged = [f"203.0.113.{i}" for i in range(1, 6)]
        assert _wrong_guesses(served.url, forged) == expected


UP = "..%2f" * 12  # from the reports folder up to /, whatever the temporary folder's depth


@pytest.mark.parametrize(
    "path",
    [
        "%00",  # a NUL byte: no file system takes it
        "index.html%00.csv",
        "%1b%5b2J",  # a control character
        "a" * 300,  # longer than a file name may be
        UP + "tmp",  # a folder that exists outside the reports folder...
        UP + "no-such-folder-here",  # ...answers as one that does not
        UP + "etc%2fpasswd",
    ],
)
def test_odd_report_paths_are_a_plain_404(server: Server, path: str) -> None:
    answer = httpx.get(
        f"{server.url}/reports/{path}", headers={"authtoken": server.token}, timeout=10
    )
    assert answer.status_code == 404, answer.text
    assert answer.json()["message"].startswith("No report file ")
    assert "root:" not in answer.text and "Traceback" not in answer.text


def test_odd_periods_and_pages_are_a_422_without_internals(server: Server) -> None:
    auth = {"authtoken": server.token}
    week = httpx.post(
        server.url + "/api/v1/reports", json={"week": "9999-W52"}, headers=auth, timeout=10
    )
    assert week.status_code == 422
    assert week.json()["message"] == (
        "week '9999-W52' is too late; a report period must end by 2999-12-31."
    )
    page = httpx.get(
        server.url + "/api/lead_sources", params={"page": 2**63 - 1}, headers=auth, timeout=10
    )
    assert page.status_code == 422
    assert "less than or equal to 1000000" in page.text
    assert "SELECT" not in page.text.upper() and ".sql" not in page.text
