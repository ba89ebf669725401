"""Reports over HTTP: list and build them (/api/v1/reports), and serve their files (/reports/).

A browser follows a report's relative links (plotly.min.js, CSV files) without headers, so a
request to /reports/ that brings a valid token (header, ?authtoken= or Bearer) also sets an
HTTP-only, SameSite=Strict cookie for /reports that carries it for the next ones. A signed-in
admin page session (its cookie) admits them too: the admin page links to the latest report."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from attribution.api.admin import session as admin_session
from attribution.api.auth import checked_token, require, token_of
from attribution.api.errors import ApiError
from attribution.errors import EmptyPeriodError
from attribution.registry.tokens import TokenInfo
from attribution.reporting import report
from attribution.reporting.period import Period
from attribution.service.pipeline import Pipeline

router = APIRouter(tags=["reports"])
COOKIE = "attribution_reports"
FILES = "/reports"


class ReportRequest(BaseModel):
    """The report to build: a week, or a period of days; models and lookback optional."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    week: str | None = Field(None, description="ISO week, e.g. 2026-W47")
    first: date | None = Field(None, alias="from", description="First day of the period")
    last: date | None = Field(None, alias="to", description="Last day of the period (included)")
    models: list[str] | None = Field(None, description="Default: reports.models")
    primary: str | None = Field(None, description="Default: reports.primary_model")
    lookback_days: float | None = Field(None, gt=0, le=3650)
    allow_empty: bool = Field(
        False, description="Build it even if the period has no leads and no conversions"
    )

    def period(self) -> Period:
        if self.week and (self.first or self.last):
            raise ApiError(422, "Give either week or from and to, not both.")
        if self.week:
            return Period.week(self.week)
        if self.first and self.last:
            return Period.days(self.first, self.last)
        raise ApiError(422, "Give week (e.g. 2026-W47), or both from and to (YYYY-MM-DD).")


def _output(request: Request) -> Path:
    pipeline: Pipeline = request.app.state.pipeline
    return pipeline.settings.resolve(pipeline.settings.reports.output_dir)


def _listed(manifest: dict[str, Any]) -> dict[str, Any]:
    return {**manifest, "url": f"{FILES}/{manifest['folder']}/index.html"}


@router.get("/api/v1/reports", summary="Every report built, latest period first")
def list_reports(
    request: Request, _: Annotated[TokenInfo, Depends(require("get"))]
) -> dict[str, Any]:
    return {"status": True, "reports": [_listed(m) for m in report.list_reports(_output(request))]}


@router.post("/api/v1/reports", status_code=201, summary="Build a report (runs the models)")
async def build_report(
    request: Request,
    body: ReportRequest,
    _: Annotated[TokenInfo, Depends(require("post"))],
) -> dict[str, Any]:
    pipeline: Pipeline = request.app.state.pipeline
    if body.models is not None and not body.models:
        raise ApiError(422, "models needs at least one model name.")
    spec = pipeline.report_spec(
        body.period(),
        models=body.models,
        primary=body.primary,
        lookback_days=body.lookback_days,
    )
    try:
        built = await run_in_threadpool(pipeline.report, spec, allow_empty=body.allow_empty)
    except EmptyPeriodError as exc:
        raise ApiError(422, exc.advice('send "allow_empty": true')) from None
    if request.app.state.publisher is not None:
        request.app.state.publisher.request()  # the new run, for analysts
    return {"status": True, "report": _listed({**built.manifest, "folder": built.folder.name})}


def _file_token(request: Request) -> tuple[str, bool]:
    """The request's token and whether it came in a header or the query (not the cookie)."""
    token = token_of(request)
    if token:
        return token, True
    cookie = request.cookies.get(COOKIE)
    if cookie:
        return cookie, False
    checked_token(request, None)  # counts the failure, raises 401 (or 429)
    raise AssertionError("unreachable")


def _admin_capabilities(request: Request) -> tuple[str, ...] | None:
    """The capabilities of the request's admin page session, when it brings no token itself."""
    if token_of(request):
        return None
    session = admin_session.current(request)
    return session.capabilities if session is not None else None


@router.get(FILES + "/{path:path}", summary="A report's files (index.html when no file is named)")
def report_file(request: Request, path: str = "") -> Response:
    token, fresh = "", False
    capabilities = _admin_capabilities(request)
    if capabilities is None:
        token, fresh = _file_token(request)
        capabilities = checked_token(request, token).capabilities
    if "get" not in capabilities:
        raise ApiError(403, "This token may not read reports (it lacks the get capability).")
    root = _output(request).resolve()
    wanted = (root / path).resolve()
    if wanted.is_dir():
        if path and not path.endswith("/"):  # relative links need the folder's own URL
            return RedirectResponse(f"{FILES}/{path}/", status_code=307)
        wanted = wanted / "index.html"
    if not wanted.is_relative_to(root) or not wanted.is_file() or ".tmp" in wanted.parent.name:
        raise ApiError(404, f"No report file {path!r}; GET /api/v1/reports lists the reports.")
    answer = FileResponse(wanted)
    if fresh:
        answer.set_cookie(COOKIE, token, path=FILES, httponly=True, samesite="strict")
    return answer
