"""Failed token attempts are limited per client address: past the limit, 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from attribution.api import create_app
from attribution.api.auth import FailureLimiter
from attribution.config import Settings
from attribution.registry.tokens import create_token
from attribution.service.pipeline import Pipeline

from .conftest import MakeSettings, Migrated


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api(make_settings: MakeSettings, migrated: Migrated) -> Iterator[tuple[TestClient, str, Clock]]:
    settings: Settings = make_settings(api={"auth_failures_limit": 3})
    with Pipeline.open(migrated(settings)) as pipe:
        token, _ = create_token(pipe.warehouse, name="all")
        app = create_app(pipe)
        clock = Clock()
        app.state.auth_failures = FailureLimiter(3, 60.0, clock=clock)
        yield TestClient(app), token, clock


def test_a_guessing_client_is_slowed_down(api: tuple[TestClient, str, Clock]) -> None:
    client, token, clock = api
    for guess in ("attr_a", "attr_b"):
        assert client.get("/api/lead_sources", headers={"authtoken": guess}).status_code == 401
    assert client.get("/api/lead_sources").status_code == 401  # a missing token counts too
    refused = client.get("/api/lead_sources", headers={"authtoken": "attr_c"})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert refused.json() == {
        "status": False,
        "message": "Too many failed token attempts from this address; try again in 60 s.",
    }
    # While over the limit the address is refused before any token is looked at...
    assert client.get("/api/lead_sources", headers={"authtoken": token}).status_code == 429
    assert client.get("/reports/index.html", headers={"authtoken": "x"}).status_code == 429
    clock.now += 30
    assert (
        client.get("/api/v1/reports", headers={"authtoken": token}).headers["retry-after"] == "30"
    )
    # ...and admitted again once the failures leave the window.
    clock.now += 30
    assert client.get("/api/lead_sources", headers={"authtoken": token}).status_code == 200


def test_good_tokens_are_never_counted(api: tuple[TestClient, str, Clock]) -> None:
    client, token, _ = api
    for _ in range(20):
        assert client.get("/api/lead_sources", headers={"authtoken": token}).status_code == 200
    assert client.get("/api/lead_sources", headers={"authtoken": "attr_x"}).status_code == 401


def test_the_limiter_forgets_quiet_clients() -> None:
    clock = Clock()
    limiter = FailureLimiter(2, 10.0, clock=clock)
    limiter.fail("a")
    clock.now += 11
    limiter.check("a")
    assert "a" not in limiter._failures
