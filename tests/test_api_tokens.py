"""/api/v1/tokens on a real `attribution serve`: tokens made, listed and revoked while it runs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from attribution.api.auth import FORBIDDEN
from attribution.config import load_settings
from attribution.registry.tokens import create_token
from attribution.service.pipeline import Pipeline

from .server import serving


@dataclass
class Server:
    url: str
    admin: str  # get, post, admin
    default: str  # a token made with the defaults: no admin
    all_but_admin: str
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve_tokens")
    env = {
        **os.environ,
        "ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb"),
        "ATTRIBUTION_SNAPSHOT__PATH": str(folder / "snapshot.duckdb"),
        "ATTRIBUTION_REPORTS__OUTPUT_DIR": str(folder / "reports"),
    }
    (folder / "reports").mkdir()
    with Pipeline.open(load_settings(environ=env)) as pipe:
        wh = pipe.warehouse
        admin, _ = create_token(wh, name="ops", capabilities=("get", "post", "admin"))
        default, info = create_token(wh, name="crm-old")
        assert "admin" not in info.capabilities  # no token gets admin unless named
        others = ("get", "post", "put", "delete", "backup")
        all_but_admin, _ = create_token(wh, name="everything-else", capabilities=others)
    with serving(env, folder / "server.log") as served:
        yield Server(served.url, admin, default, all_but_admin, folder / "server.log")


def call(server: Server, token: str, method: str, path: str, json: Any = None) -> httpx.Response:
    return httpx.request(
        method, server.url + path, headers={"authtoken": token}, json=json, timeout=30
    )


def listed(server: Server) -> dict[str, dict[str, object]]:
    answer = call(server, server.admin, "GET", "/api/v1/tokens")
    assert answer.status_code == 200, answer.text
    return {t["name"]: t for t in answer.json()["tokens"]}


def test_a_token_made_over_the_api_works_is_listed_without_its_secret_and_revoked_at_once(
    server: Server,
) -> None:
    made = call(
        server,
        server.admin,
        "POST",
        "/api/v1/tokens",
        json={"name": "crm-sync", "capabilities": ["get"]},
    )
    assert made.status_code == 201, made.text
    body = made.json()
    secret = body.pop("token")
    assert secret.startswith("attr_") and len(secret) == 48
    assert body["status"] is True
    assert (body["name"], body["capabilities"], body["prefix"]) == (
        "crm-sync",
        ["get"],
        secret[:11],
    )
    assert body["revoked_at"] is None

    for _ in range(2):  # the second answer comes from the token checker's cache
        assert call(server, secret, "GET", "/api/lead_sources").status_code == 200
    assert call(server, secret, "POST", "/api/lead_sources", json={"name": "X"}).status_code == 403

    listing = call(server, server.admin, "GET", "/api/v1/tokens")
    assert secret not in listing.text and "token" not in listing.json()["tokens"][0]
    row = listed(server)["crm-sync"]
    assert set(row) == {
        "name",
        "prefix",
        "capabilities",
        "created_at",
        "last_used_at",
        "revoked_at",
    }
    assert row["last_used_at"] is not None and row["revoked_at"] is None
    assert listed(server)["crm-old"]["capabilities"] == ["get", "post", "put", "delete"]

    gone = call(server, server.admin, "DELETE", "/api/v1/tokens/crm-sync")
    assert gone.status_code == 200, gone.text
    assert gone.json()["message"] == "Token 'crm-sync' is revoked."
    assert gone.json()["revoked_at"] is not None
    refused = call(server, secret, "GET", "/api/lead_sources")  # the very next request
    assert refused.status_code == 401
    assert refused.json() == {"status": False, "message": "Invalid token."}
    assert listed(server)["crm-sync"]["revoked_at"] is not None

    assert secret not in server.log.read_text()  # the answer's body is never logged


@pytest.mark.parametrize("who", ["default", "all_but_admin"])
def test_a_token_without_admin_gets_403_on_each_route(server: Server, who: str) -> None:
    token = getattr(server, who)
    attempts = [
        ("POST", "/api/v1/tokens", {"name": f"by-{who}", "capabilities": ["get"]}),
        ("GET", "/api/v1/tokens", None),
        ("DELETE", "/api/v1/tokens/ops", None),
    ]
    for method, path, body in attempts:
        answer = call(server, token, method, path, body)
        assert answer.status_code == 403, (method, answer.text)
        assert answer.json() == {"status": False, "message": FORBIDDEN}
    tokens = listed(server)
    assert f"by-{who}" not in tokens and tokens["ops"]["revoked_at"] is None


def test_a_token_may_grant_only_the_capabilities_it_holds(server: Server) -> None:
    more = call(
        server,
        server.admin,
        "POST",
        "/api/v1/tokens",
        json={"name": "greedy", "capabilities": ["get", "delete", "backup"]},
    )
    assert more.status_code == 403
    assert more.json() == {
        "status": False,
        "message": "This token cannot grant delete, backup: a token may grant only the "
        "capabilities it holds (get, post, admin).",
    }
    unknown = call(
        server,
        server.admin,
        "POST",
        "/api/v1/tokens",
        json={"name": "greedy", "capabilities": ["get", "root"]},
    )
    assert unknown.status_code == 422
    assert unknown.json()["message"] == (
        "capabilities must be some of get, post, put, delete, backup, admin; got root"
    )
    for name in ("a/b", "bell\x07"):
        odd = call(
            server, server.admin, "POST", "/api/v1/tokens", {"name": name, "capabilities": ["get"]}
        )
        assert odd.status_code == 422
        assert odd.json()["message"] == (
            "A token's name is printable text without '/' (DELETE /api/v1/tokens/NAME takes it); "
            f"got {name!r}."
        )
    assert not {"greedy", "a/b", "bell\x07"} & set(listed(server))

    # An admin may hand on admin; names are unique; an unknown name is a 404.
    made = call(
        server,
        server.admin,
        "POST",
        "/api/v1/tokens",
        json={"name": "deputy", "capabilities": ["admin"]},
    )
    assert made.status_code == 201 and made.json()["capabilities"] == ["admin"]
    again = call(
        server, server.admin, "POST", "/api/v1/tokens", json={"name": "deputy", "capabilities": []}
    )
    assert again.status_code == 422  # no capabilities
    twice = call(
        server,
        made.json()["token"],
        "POST",
        "/api/v1/tokens",
        json={"name": "deputy", "capabilities": ["admin"]},
    )
    assert twice.status_code == 409
    assert twice.json()["message"] == "a token named 'deputy' exists; pick another name"
    missing = call(server, server.admin, "DELETE", "/api/v1/tokens/nobody")
    assert missing.status_code == 404
    assert missing.json() == {
        "status": False,
        "message": "No token named 'nobody'; GET /api/v1/tokens lists them.",
    }
