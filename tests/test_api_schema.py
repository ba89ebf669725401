"""Schemathesis over the whole OpenAPI document: no 5xx, no answer that breaks the schema."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from attribution.api import create_app
from attribution.config import Settings
from attribution.registry.tokens import create_token
from attribution.service.pipeline import Pipeline

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
