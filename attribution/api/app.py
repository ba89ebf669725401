"""The FastAPI application: routers, auth, errors, body limits; over one open Pipeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from attribution import __version__
from attribution.api import backups, errors, ingest, jobs, lead_sources, reports, tokens
from attribution.api.admin import routes as admin
from attribution.api.auth import FailureLimiter
from attribution.api.cache import ReadCache
from attribution.api.limits import BodyLimit
from attribution.registry.tokens import TokenChecker
from attribution.service.pipeline import Pipeline
from attribution.service.scheduler import Jobs
from attribution.warehouse.snapshot import Publisher

DESCRIPTION = """
Channel attribution service. `/api/lead_sources` is a drop-in for the CRM's `lead_sources` API
(token in the `authtoken` header, `?authtoken=` or `Authorization: Bearer`); `/api/v1/` holds
the service's own resources.
"""


def publisher_of(pipeline: Pipeline) -> Publisher | None:
    """The background snapshot publisher of the service (shared with its jobs), if wanted."""
    if not pipeline.settings.snapshot.publish_after_ingest:
        return None
    return pipeline.snapshot_publisher()


def create_app(pipeline: Pipeline, scheduled: Jobs | None = None) -> FastAPI:
    """The API over an open pipeline (which owns the warehouse)."""
    # /docs with Swagger UI's files served from the package: it works with no internet access.
    app = FastAPIOffline(title="attribution", version=__version__, description=DESCRIPTION)
    app.state.pipeline = pipeline
    ingest.remove_stale_uploads(pipeline.warehouse.path)  # left by a killed service
    app.state.jobs = scheduled  # None: made on first use, for manual runs
    app.state.publisher = publisher_of(pipeline)
    app.state.settings = pipeline.settings
    app.state.tokens = TokenChecker(pipeline.warehouse)
    api = pipeline.settings.api
    app.state.auth_failures = FailureLimiter(
        api.auth_failures_limit, api.auth_failures_window_seconds
    )
    app.state.cache = ReadCache(pipeline.warehouse, topics=("registry", "data"))
    app.state.backups = backups.BackupLimiter(api.backups_per_hour)
    errors.install(app)
    app.include_router(lead_sources.router)
    app.include_router(ingest.router)
    app.include_router(reports.router)
    app.include_router(jobs.router)
    app.include_router(backups.router)
    app.include_router(tokens.router)
    admin.install(app)  # the admin page at /admin/leads/sources
    app.add_middleware(BodyLimit, max_body=api.max_body_bytes, max_upload=api.max_upload_bytes)
    # FastAPI's way to extend the OpenAPI document is to replace app.openapi (setattr: mypy
    # refuses an assignment to a method).
    setattr(app, "openapi", _openapi_with_errors(app, compat=api.compat_404))  # noqa: B010
    return app


def _openapi_with_errors(app: FastAPI, *, compat: bool) -> Callable[[], dict[str, Any]]:
    """app.openapi, plus each route's error answers (errors.document), made once."""
    generate = app.openapi  # FastAPI's; it keeps what it made in app.openapi_schema

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            errors.document(generate(), compat=compat)
        return generate()

    return openapi
