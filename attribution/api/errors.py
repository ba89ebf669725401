"""The API's one error shape, {"status": false, "message": ...}, mapped in one place, and
documented in the OpenAPI document on the routes where each error can happen."""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from attribution.errors import (
    AttributionError,
    ConflictError,
    IngestError,
    InvalidFieldsError,
    NotFoundError,
    WarehouseLockedError,
)

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An answer with a status code and a body of the contract's shape."""

    def __init__(
        self, status: int, message: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers
        self.body: dict[str, Any] = {"status": False, **extra, "message": message}


def failure(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"status": False, **extra, "message": message}, status_code=status)


def install(app: FastAPI) -> None:
    """Register the handlers: no traceback ever reaches a client."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(InvalidFieldsError)
    async def _fields(_: Request, exc: InvalidFieldsError) -> JSONResponse:
        return failure(422, str(exc), error=exc.errors)

    @app.exception_handler(ConflictError)
    async def _conflict(_: Request, exc: ConflictError) -> JSONResponse:
        return failure(409, str(exc))

    @app.exception_handler(NotFoundError)
    async def _missing(_: Request, exc: NotFoundError) -> JSONResponse:
        return failure(404, str(exc))

    @app.exception_handler(IngestError)
    async def _ingest(_: Request, exc: IngestError) -> JSONResponse:
        return failure(422, str(exc))

    @app.exception_handler(WarehouseLockedError)
    async def _locked(_: Request, exc: WarehouseLockedError) -> JSONResponse:
        return failure(503, str(exc))

    @app.exception_handler(AttributionError)
    async def _domain(_: Request, exc: AttributionError) -> JSONResponse:
        return failure(422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _request(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return failure(422, "; ".join(parts) or "Invalid request.")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return failure(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return failure(500, "Internal error; it was logged. Try again or report it.")


# --------------------------------------------------------------------------------------------
# The error answers in the OpenAPI document
# --------------------------------------------------------------------------------------------


class Failure(BaseModel):
    """Every error answer: `status` is false, `message` says what was wrong."""

    status: Literal[False]
    message: str = Field(description="What was wrong, and what to do")


class FieldsFailure(Failure):
    """An error naming the fields refused (lead_sources writes, backups)."""

    error: dict[str, str] = Field(
        default_factory=dict,
        description="The message for each field refused",
        examples=[{"name": "The Name field is required."}],
    )


class InUseFailure(Failure):
    """A delete refused because data name the source."""

    usage: dict[str, int] = Field(
        default_factory=dict,
        description="How many rows name the source",
        examples=[{"leads": 3, "touches": 0, "spend": 0}],
    )
    hint: str = Field("", examples=['Retire it instead: PUT {"active": false} keeps its history.'])


class BulkFailure(Failure):
    """A bulk action refused whole: nothing was changed."""

    errors: dict[str, str] = Field(
        description="The reason for each id refused", examples=[{"999": "No such lead source."}]
    )


Answers = dict[int, tuple[type[Failure], str]]
BODY_TOO_LARGE = (Failure, "The body is larger than `api.max_body_bytes`")
NOT_JSON = (Failure, "The body is not valid JSON, or not a JSON object of fields")
_TOKEN: Answers = {
    401: (
        Failure,
        "No token (`Token is not defined.`), or a wrong or revoked one (`Invalid token.`)",
    ),
    403: (Failure, "The token lacks the capability this request needs"),
    429: (Failure, "Too many failed token attempts from this address; wait `Retry-After` seconds"),
}
_DELETE: Answers = {
    404: (
        Failure,
        "No source with that id (`Lead Source Delete Fail.`), or an id that is not a number "
        "(`Invalid Lead Source ID`)",
    ),
    409: (
        InUseFailure,
        "Leads, touches or spend rows name the source (`usage`; retire it instead), or it is "
        "the configured default source",
    ),
}
# The errors each route can give besides the token's (_TOKEN, on every route: all need one).
ROUTE_ERRORS: dict[str, Answers] = {
    "GET /api/lead_sources": {422: (Failure, "A bad query option")},
    "GET /api/lead_sources.csv": {422: (Failure, "A bad query option")},
    "GET /api/lead_sources/{source_id}": {
        404: (
            Failure,
            "No source with that id (`No data were found`), or an id that is not a number "
            "(`Invalid Lead Source ID`)",
        )
    },
    "POST /api/lead_sources": {
        400: NOT_JSON,
        409: (FieldsFailure, "The name, or the UTM rule, belongs to another source"),
        413: BODY_TOO_LARGE,
        422: (FieldsFailure, "No name (`The Name field is required.`), or an invalid field"),
    },
    "PUT /api/lead_sources/{source_id}": {
        400: NOT_JSON,
        404: (
            Failure,
            "No source with that id (`Lead Source Update Fail.`), or an id that is not a "
            "number (`Invalid Lead Source ID`)",
        ),
        406: (Failure, "No body, or none of the fields (`Data Not Acceptable OR Not Provided`)"),
        409: (FieldsFailure, "The name, or the UTM rule, belongs to another source"),
        413: BODY_TOO_LARGE,
        422: (FieldsFailure, "An invalid field"),
    },
    "DELETE /api/lead_sources/{source_id}": _DELETE,
    "DELETE /api/delete/lead_sources/{source_id}": _DELETE,
    "POST /api/lead_sources/bulk": {
        400: NOT_JSON,
        406: (Failure, "No body (`Data Not Acceptable OR Not Provided`)"),
        409: (BulkFailure, "Some ids cannot be processed; nothing was changed"),
        413: BODY_TOO_LARGE,
        422: (
            FieldsFailure,
            "An unknown action, no ids, ids that are not numbers, or set_channel without a channel",
        ),
    },
    "POST /api/v1/ingest/{kind}": {
        413: (Failure, "The body is larger than `api.max_upload_bytes`"),
        415: (Failure, "The body is neither JSON nor multipart form data"),
        422: (
            Failure,
            "The file refused whole, no multipart field `file`, a JSON body that is not an "
            "array, or a bad kind, format or map",
        ),
    },
    "GET /api/v1/reports": {},
    "POST /api/v1/reports": {
        413: BODY_TOO_LARGE,
        422: (
            Failure,
            "No period, both a week and dates, a bad week, an unknown model or field, or a "
            "period with no leads and no conversions (without allow_empty)",
        ),
    },
    "GET /reports/{path}": {404: (Failure, "No such file in the reports folder")},
    "GET /api/v1/jobs": {},
    "POST /api/v1/jobs/{name}/run": {
        404: (Failure, "No job of that name; the message lists the jobs"),
        409: (Failure, "The job is running already"),
    },
    "GET /api/v1/jobs/{name}/runs": {
        404: (Failure, "No job of that name; the message lists the jobs"),
        422: (Failure, "limit is not a number from 1 to 1000"),
    },
    "POST /api/v1/backups": {
        413: BODY_TOO_LARGE,
        422: (FieldsFailure, "dir is not one plain folder name, or the body is not valid"),
    },
    "POST /api/v1/tokens": {
        403: (Failure, "The token lacks `admin`, or a capability it would grant"),
        409: (Failure, "A token of that name exists"),
        413: BODY_TOO_LARGE,
        422: (
            Failure,
            "No name, a name with '/' or a control character, an unknown capability, or a "
            "body of another shape",
        ),
    },
    "GET /api/v1/tokens": {},
    "DELETE /api/v1/tokens/{name}": {404: (Failure, "No token of that name")},
}
# What api.compat_404 answers with 404 instead (401 for a token; 200 [] or 422 for these).
_COMPAT_404 = {
    "GET /api/lead_sources": "No source matches (`No data were found`)",
    "POST /api/lead_sources": "No name, or an invalid field (as the 422 without compat_404)",
}
# Routes that check the token themselves (they also take a cookie), not through auth.require.
TOKEN_BY_HAND = frozenset({"GET /reports/{path}"})
SECURITY: list[dict[str, list[str]]] = [{"authtoken": []}, {"bearer": []}]
OTHER = (
    "Any other error, in the same shape: e.g. 405 for a method the path lacks, 503 while the "
    "warehouse is locked, 500 for an internal error (`Internal error; it was logged. ...`)"
)


def _response(model: type[Failure], description: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _answers(key: str, *, compat: bool) -> Answers:
    """The error answers of one route: the token's and its own (ROUTE_ERRORS)."""
    answers: Answers = {**_TOKEN, **ROUTE_ERRORS.get(key, {})}
    if compat:
        moved = [answers.pop(401)[1]]
        if key in _COMPAT_404:
            moved.append(_COMPAT_404[key])
        if 404 in answers:
            moved.insert(0, answers[404][1])
        answers[404] = (answers.get(404, (Failure, ""))[0], "; or ".join(moved))
    return answers


def document(schema: dict[str, Any], *, compat: bool) -> dict[str, Any]:
    """The OpenAPI document with the error answers each route can give and their bodies: the
    token's, the route's own (ROUTE_ERRORS), `default` for any other; FastAPI's own 422 (a
    body of another shape) removed."""
    models = (Failure, FieldsFailure, InUseFailure, BulkFailure)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in models:
        components[model.__name__] = model.model_json_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            key = f"{method.upper()} {path}"
            responses = operation["responses"]
            responses.pop("422", None)
            for status, (model, description) in sorted(_answers(key, compat=compat).items()):
                responses[str(status)] = _response(model, description)
            responses["429"]["headers"] = {
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
            }
            responses["default"] = _response(Failure, OTHER)
            if key in TOKEN_BY_HAND:
                operation["security"] = SECURITY
    if "/HTTPValidationError" not in json.dumps(schema["paths"]):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    return schema
