"""The API's one error shape, {"status": false, "message": ...}, mapped in one place."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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
