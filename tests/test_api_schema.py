"""Schemathesis over the whole OpenAPI document: no 5xx, no answer that breaks the schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from attribution.api import create_app
from attribution.config import Settings
from attribution.registry.tokens import create_token
from attribution.service.pipeline import Pipeline

from .conftest import MakeSettings

EXAMPLES = 25  # per operation; seeded (derandomized), so every run tries the same requests


def test_api_never_fails_on_generated_requests(settings: Settings) -> None:
    with Pipeline.open(settings) as pipe:
        token, _ = create_token(pipe.warehouse, name="fuzz")
        schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(pipe))
        results = list(schema.get_all_operations())
        operations = [r.ok() for r in results if isinstance(r, Ok)]
        assert len(operations) == len(results), "every operation of the schema loads"
        assert len(operations) >= 8
        for operation in operations:

            @given(case=operation.as_strategy())
            @hypothesis_settings(
                max_examples=EXAMPLES,
                derandomize=True,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def check(case: Any) -> None:
                case.call_and_validate(
                    headers={"authtoken": token},
                    checks=[not_a_server_error, response_schema_conformance],
                )

            check()


# --------------------------------------------------------------------------------------------
# The document itself: security schemes, and the error answers of each route with their bodies
# --------------------------------------------------------------------------------------------

TOKEN_ERRORS = {"401", "403", "429", "default"}
# The error statuses each operation documents besides the token's (401, 403, 429, default).
DOCUMENTED = {
    "GET /api/lead_sources": {"422"},
    "GET /api/lead_sources.csv": {"422"},
    "GET /api/lead_sources/{source_id}": {"404"},
    "POST /api/lead_sources": {"400", "409", "413", "422"},
    "PUT /api/lead_sources/{source_id}": {"400", "404", "406", "409", "413", "422"},
    "DELETE /api/lead_sources/{source_id}": {"404", "409"},
    "DELETE /api/delete/lead_sources/{source_id}": {"404", "409"},
    "POST /api/lead_sources/bulk": {"400", "406", "409", "413", "422"},
    "POST /api/v1/ingest/{kind}": {"413", "415", "422"},
    "GET /api/v1/reports": set(),
    "POST /api/v1/reports": {"413", "422"},
    "GET /reports/{path}": {"404"},
    "GET /api/v1/jobs": set(),
    "POST /api/v1/jobs/{name}/run": {"404", "409"},
    "GET /api/v1/jobs/{name}/runs": {"404", "422"},
    "POST /api/v1/backups": {"413", "422"},
    "POST /api/v1/tokens": {"409", "413", "422"},
    "GET /api/v1/tokens": set(),
    "DELETE /api/v1/tokens/{name}": {"404"},
}


def operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{m.upper()} {p}": op for p, ops in doc["paths"].items() for m, op in ops.items()}


def test_the_document_declares_the_token_schemes_on_every_route(settings: Settings) -> None:
    """/docs shows an Authorize button for either, and sends the token it is given."""
    with Pipeline.open(settings) as pipe:
        doc = create_app(pipe).openapi()
    assert doc["components"]["securitySchemes"] == {
        "authtoken": {
            "type": "apiKey",
            "in": "header",
            "name": "authtoken",
            "description": "The API token in the `authtoken` header (or `?authtoken=` in the "
            "query).",
        },
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "The API token as `Authorization: Bearer TOKEN`.",
        },
    }
    found = operations(doc)
    assert set(found) == set(DOCUMENTED)
    for key, operation in found.items():
        assert operation["security"] == [{"authtoken": []}, {"bearer": []}], key


def test_every_route_documents_its_errors_in_the_api_error_shape(settings: Settings) -> None:
    with Pipeline.open(settings) as pipe:
        doc = create_app(pipe).openapi()
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's 422 body, which the API never sends
    assert schemas["Failure"]["required"] == ["status", "message"]
    assert schemas["Failure"]["properties"]["status"] == {
        "const": False,
        "title": "Status",
        "type": "boolean",
    }
    for key, operation in operations(doc).items():
        errors = {s for s in operation["responses"] if not s.startswith("2")}
        assert errors == TOKEN_ERRORS | DOCUMENTED[key], key
        for status in errors:
            answer = operation["responses"][status]
            ref = answer["content"]["application/json"]["schema"]["$ref"]
            assert ref.removeprefix("#/components/schemas/") in schemas, (key, status)
            assert answer["description"], (key, status)
        assert operation["responses"]["429"]["headers"]["Retry-After"]["schema"] == {
            "type": "integer"
        }
    lead_sources = operations(doc)
    assert lead_sources["POST /api/lead_sources/bulk"]["responses"]["409"]["content"][
        "application/json"
    ]["schema"] == {"$ref": "#/components/schemas/BulkFailure"}
    assert schemas["BulkFailure"]["required"] == ["status", "message", "errors"]
    assert lead_sources["DELETE /api/lead_sources/{source_id}"]["responses"]["409"]["content"][
        "application/json"
    ]["schema"] == {"$ref": "#/components/schemas/InUseFailure"}


def test_compat_404_documents_404_where_401_was(make_settings: MakeSettings) -> None:
    with Pipeline.open(make_settings(api={"compat_404": True})) as pipe:
        doc = create_app(pipe).openapi()
    found = operations(doc)
    for key, operation in found.items():
        assert "401" not in operation["responses"], key
        assert "(`Token is not defined.`)" in operation["responses"]["404"]["description"], key
    assert found["GET /api/lead_sources"]["responses"]["404"]["description"] == (
        "No token (`Token is not defined.`), or a wrong or revoked one (`Invalid token.`); or "
        "No source matches (`No data were found`)"
    )


JSON = "application/json"
# (status, "METHOD path" as documented, the URL when it differs, body model, request arguments)
PROVOKED: list[tuple[int, str, str, str, dict[str, Any]]] = [
    (401, "GET /api/lead_sources", "", "Failure", {}),
    (403, "POST /api/lead_sources", "", "Failure", {"json": {"name": "X"}}),  # a get-only token
    (429, "GET /api/lead_sources", "", "Failure", {}),  # after a wrong token
    (404, "GET /api/lead_sources/{source_id}", "/api/lead_sources/999", "Failure", {}),
    (404, "GET /api/v1/jobs/{name}/runs", "/api/v1/jobs/nope/runs", "Failure", {}),
    (404, "GET /reports/{path}", "/reports/nope.html", "Failure", {}),
    (406, "PUT /api/lead_sources/{source_id}", "/api/lead_sources/1", "Failure", {"json": {}}),
    (
        400,
        "POST /api/lead_sources",
        "",
        "Failure",
        {"content": b"{", "headers": {"content-type": JSON}},
    ),
    (409, "POST /api/lead_sources", "", "FieldsFailure", {"json": {"name": "Google"}}),
    (409, "DELETE /api/lead_sources/{source_id}", "/api/lead_sources/1", "InUseFailure", {}),
    (
        409,
        "POST /api/lead_sources/bulk",
        "",
        "BulkFailure",
        {"json": {"action": "delete", "ids": ["9"]}},
    ),
    (413, "POST /api/lead_sources", "", "Failure", {"json": {"name": "x" * 2048}}),
    (
        415,
        "POST /api/v1/ingest/{kind}",
        "/api/v1/ingest/leads",
        "Failure",
        {"content": b"a", "headers": {"content-type": "text/plain"}},
    ),
    (422, "GET /api/lead_sources", "/api/lead_sources?active=maybe", "Failure", {}),
    (422, "POST /api/lead_sources", "", "FieldsFailure", {"json": {"channel": "Event"}}),
    (422, "POST /api/v1/reports", "", "Failure", {"json": {}}),
]


@pytest.mark.parametrize(
    ("status", "operation_key", "url", "model", "kwargs"),
    PROVOKED,
    ids=[f"{c[0]} {c[1]}" for c in PROVOKED],
)
def test_each_error_answer_is_documented_and_matches_its_schema(
    make_settings: MakeSettings,
    status: int,
    operation_key: str,
    url: str,
    model: str,
    kwargs: dict[str, Any],
) -> None:
    method, path = operation_key.split(" ")
    settings = make_settings(
        api={"max_body_bytes": 1024, "auth_failures_limit": 1},
        registry={"default_source": "Google"},  # in use: it cannot be deleted
    )
    with Pipeline.open(settings) as pipe:
        capabilities = ("get",) if status == 403 else ("get", "post", "put", "delete")
        token, _ = create_token(pipe.warehouse, name="t", capabilities=capabilities)
        app = create_app(pipe)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        client = TestClient(app)
        if status == 429:
            assert client.get(path, headers={"authtoken": "attr_wrong"}).status_code == 401
        kwargs = dict(kwargs)
        headers = {} if status == 401 else {"authtoken": token}
        headers |= kwargs.pop("headers", {})
        response = client.request(method, url or path, headers=headers, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["status"] is False
    operation = schema[path][method]
    documented = operation.definition.raw["responses"][str(status)]
    assert documented["content"][JSON]["schema"] == {"$ref": f"#/components/schemas/{model}"}
    operation.validate_response(response)  # the body matches the documented schema


def test_a_body_off_the_documented_shape_is_caught(settings: Settings) -> None:
    """The check above can fail: a bulk 409 without `errors` breaks BulkFailure."""
    with Pipeline.open(settings) as pipe:
        schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(pipe))
    operation = schema["/api/lead_sources/bulk"]["POST"]

    def answer(body: dict[str, Any]) -> httpx.Response:
        request = httpx.Request("POST", "http://test/api/lead_sources/bulk")
        response = httpx.Response(409, json=body, request=request)
        response.elapsed = timedelta(0)
        return response

    message = {"status": False, "message": "Nothing was changed."}
    assert not operation.is_valid_response(answer(message))
    assert operation.is_valid_response(answer({**message, "errors": {"9": "No such."}}))
