"""Reports over HTTP: list and build them (/api/v1/reports), and serve their files (/reports/).

A browser follows a report's relative links (plotly.min.js, CSV files) without headers, so a
request to /reports/ that brings a valid token (header, ?authtoken= or Bearer) also sets an
HTTP-only, SameSite=Strict cookie for /reports (Secure with admin.secure_cookies) that admits the
next ones. The cookie holds a random session id, never the token: the session, in memory, keeps
the token's SHA-256, checked again on every use (a revoked token's session ends), and lasts
admin.session_hours. A signed-in admin page session (its cookie) admits them too: the admin page
links to the latest report."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from attribution.api.admin import session as admin_session
from attribution.api.auth import (
    INVALID,
    MISSING,
    FailureLimiter,
    checked_token,
    client_of,
    require,
    token_of,
)
from attribution.api.errors import ApiError
from attribution.errors import EmptyPeriodError
from attribution.registry.tokens import TokenChecker, TokenInfo, token_digest
from attribution.reporting import report
from attribution.reporting.period import LAST_DAY, Period
from attribution.service.pipeline import Pipeline

router = APIRouter(tags=["reports"])
COOKIE = "attribution_reports"
FILES = "/reports"
_STORE_LOCK = threading.Lock()  # the reports' session store is made on first use


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
            try:
                return Period.week(self.week)
            except OverflowError:  # a year near 9999: its Sunday is past the last date
                raise ApiError(
                    422, f"week {self.week!r} is too late; a report period must end by {LAST_DAY}."
                ) from None
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


def _sessions(request: Request) -> admin_session.SessionStore:
    """The sessions of the reports cookie: a store of their own, apart from the admin page's."""
    state = request.app.state
    with _STORE_LOCK:
        store: admin_session.SessionStore | None = getattr(state, "report_sessions", None)
        if store is None:
            store = state.report_sessions = admin_session.SessionStore(state.settings.admin)
    return store


def _cookie_capabilities(request: Request) -> tuple[str, ...]:
    """The capabilities of the request's reports cookie session, its token's as they are now;
    401 (counted as a failed attempt) without a session, or once it expired or its token was
    revoked (which ends it)."""
    limiter: FailureLimiter = request.app.state.auth_failures
    client = client_of(request)
    limiter.check(client)
    cookie = request.cookies.get(COOKIE)
    store = _sessions(request)
    session = store.get(cookie)
    if session is not None:
        checker: TokenChecker = request.app.state.tokens
        info = checker.check_digest(session.token_digest)
        if info is not None:
            return info.capabilities
        store.end(session.id)
    limiter.fail(client)
    compat = request.app.state.settings.api.compat_404
    raise ApiError(404 if compat else 401, INVALID if cookie else MISSING)


def _set_cookie(request: Request, response: Response, info: TokenInfo, token: str) -> None:
    """A cookie with a new session for the token, unless the request's cookie is one already."""
    store = _sessions(request)
    digest = token_digest(token)
    known = store.get(request.cookies.get(COOKIE))
    if known is not None and known.token_digest == digest:
        return
    session = store.start(info, digest)
    settings = request.app.state.settings.admin
    response.set_cookie(
        COOKIE,
        session.id,
        max_age=int(store.lifetime),
        path=FILES,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )


def _admin_capabilities(request: Request) -> tuple[str, ...] | None:
    """The capabilities of the request's admin page session, when it brings no token itself."""
    if token_of(request):
        return None
    session = admin_session.current(request)
    return session.capabilities if session is not None else None


def _inside(root: Path, path: str) -> Path | None:
    """The file or folder `path` names inside root, or None for any path that leaves it or that
    no file system takes (control characters, a NUL, a name too long): the same None whether or
    not something exists out there, so the answer tells nothing about other folders."""
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return None
    try:
        wanted = (root / path).resolve()
        if not wanted.is_relative_to(root):
            return None
        wanted.is_dir()  # a name too long fails here, not later
    except (OSError, ValueError):
        return None
    return wanted


@router.get(FILES + "/{path:path}", summary="A report's files (index.html when no file is named)")
def report_file(request: Request, path: str = "") -> Response:
    token, info = token_of(request), None
    capabilities = _admin_capabilities(request)
    if capabilities is None:
        if token:
            info = checked_token(request, token)
            capabilities = info.capabilities
        else:
            capabilities = _cookie_capabilities(request)
    if "get" not in capabilities:
        raise ApiError(403, "This token may not read reports (it lacks the get capability).")
    wanted = _inside(_output(request).resolve(), path)
    if wanted is None:
        raise ApiError(404, f"No report file {path!r}; GET /api/v1/reports lists the reports.")
    if wanted.is_dir():
        if path and not path.endswith("/"):  # relative links need the folder's own URL
            return RedirectResponse(f"{FILES}/{path}/", status_code=307)
        wanted = wanted / "index.html"
    if not wanted.is_file() or ".tmp" in wanted.parent.name:
        raise ApiError(404, f"No report file {path!r}; GET /api/v1/reports lists the reports.")
    answer = FileResponse(wanted)
    if token and info is not None:
        _set_cookie(request, answer, info, token)
    return answer
