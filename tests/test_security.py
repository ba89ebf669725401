"""Security properties not pinned elsewhere: how tokens are made and compared, and that no
token or password reaches the service's own logs."""

from __future__ import annotations

import base64
import hmac
import logging
import time

import pytest
from fastapi.testclient import TestClient

from attribution.api import create_app
from attribution.api.logs import RedactTokens, redact
from attribution.config import load_settings
from attribution.errors import ConfigError
from attribution.registry import tokens
from attribution.registry.tokens import PREFIX, TokenChecker, create_token
from attribution.reporting.render import csv_cell
from attribution.service.pipeline import Pipeline

from .conftest import MakeSettings


def test_tokens_are_32_random_bytes_and_all_different(make_settings: MakeSettings) -> None:
    with Pipeline.open(make_settings()) as pipe:
        tokens = [create_token(pipe.warehouse, name=f"t{i}")[0] for i in range(50)]
    assert len(set(tokens)) == 50
    for token in tokens:
        assert token.startswith(PREFIX)
        raw = base64.urlsafe_b64decode(token[len(PREFIX) :] + "=")
        assert len(raw) == 32


def test_tokens_are_compared_in_constant_time(
    make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    with Pipeline.open(make_settings()) as pipe:
        token, _ = create_token(pipe.warehouse, name="t")
        assert TokenChecker(pipe.warehouse).check(token) is not None
    assert compared and all(len(a) == len(b) == 64 for a, b in compared)  # SHA-256 hex digests


def test_a_token_is_admitted_from_memory_only_while_nothing_needs_the_warehouse(
    make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """known() answers without a statement only for a valid token checked since the last token
    change whose last use was written lately; anything else goes through check()."""
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    with Pipeline.open(make_settings()) as pipe:
        token, info = create_token(pipe.warehouse, name="t")
        checker = TokenChecker(pipe.warehouse)
        assert checker.known(token) is None  # never checked
        assert checker.check(token) == info  # looked up, its use written
        assert checker.known(token) == info
        assert checker.known(token + "x") is None
        assert checker.check(token + "x") is None
        assert checker.known(token + "x") is None  # a refusal is never answered from memory
        clock[0] += 61  # the last use is due to be written again
        assert checker.known(token) is None
        assert checker.check(token) == info
        assert checker.known(token) == info
        tokens.revoke_token(pipe.warehouse, name="t")
        assert checker.known(token) is None
        assert checker.check(token) is None


def test_no_token_reaches_the_service_logs(
    make_settings: MakeSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with Pipeline.open(make_settings()) as pipe:
        token, _ = create_token(pipe.warehouse, name="t")
        client = TestClient(create_app(pipe))
        client.get("/api/lead_sources", headers={"authtoken": token})
        client.get(f"/api/lead_sources?authtoken={token}")
        client.get("/api/lead_sources", headers={"authtoken": token + "x"})
        client.post("/api/lead_sources", json={"name": ""}, headers={"authtoken": token})
        client.post("/admin/sign-in", data={"token": token + "y"})
    service = [r for r in caplog.records if r.name.split(".")[0] not in ("httpx", "httpcore")]
    assert any(r.name.startswith("attribution") for r in service)  # the service did log
    assert token not in "\n".join(r.getMessage() for r in service)  # (httpx is the client)


def test_the_log_filter_redacts_tokens_in_messages_and_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/api/x?page=2&authtoken=attr_secret&q=1", "1.1", 200),
        None,
    )
    assert RedactTokens().filter(record)
    assert "attr_secret" not in record.getMessage()
    assert "/api/x?page=2&authtoken=[redacted]&q=1" in record.getMessage()
    assert redact("AUTHTOKEN=abc def") == "AUTHTOKEN=[redacted] def"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('\t=HYPERLINK("http://x")', '\'\t=HYPERLINK("http://x")'),
        ("\r=1+1", "'\r=1+1"),
        ("\n@SUM(A1)", "'\n@SUM(A1)"),
        ("\tplain", "'\tplain"),  # OWASP: a leading TAB or CR is guarded whatever follows
        (" =1+1", "' =1+1"),
        ("\x00\x1b+cmd", "'\x00\x1b+cmd"),
        ("\u00a0-2+3", "'\u00a0-2+3"),
        ("=1", "'=1"),
        ("Plain name", "Plain name"),
        ("a=b", "a=b"),
        (12, 12),
        (None, ""),
    ],
)
def test_csv_cells_guard_every_owasp_formula_trigger(cell: object, written: object) -> None:
    assert csv_cell(cell) == written


def test_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"ATTRIBUTION_API__TRUSTED_PROXIES": '["proxy.local"]'})
    assert "api.trusted_proxies" in str(err.value)
    assert "'proxy.local' is not an IP address or network" in str(err.value)
    ok = load_settings(environ={"ATTRIBUTION_API__TRUSTED_PROXIES": '["10.0.0.0/24"]'})
    assert ok.api.trusted_proxies == ["10.0.0.0/24"]
