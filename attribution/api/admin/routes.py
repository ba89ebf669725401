"""The admin page of lead sources (/admin/leads/sources): server-rendered forms over the same
registry functions as the API; every action works without JavaScript (POST, then redirect).

Sign-in takes an API token and keeps a server-side session (see admin_session); each page
needs the capability the API would need (get to view, post to create, put to change, delete
to delete), and each POST the session's CSRF token."""

from __future__ import annotations

import io
import secrets
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from attribution.api.admin import sources as admin_sources
from attribution.api.admin import tokens as admin_tokens
from attribution.api.admin.pages import (
    HEADERS,
    LIST_PATH,
    PAGE_SIZES,
    AdminAnswer,
    ListQuery,
    Posted,
    error_page,
    flash,
    forbidden,
    poster,
    render,
    safe_next,
    see_other,
    settings_of,
    viewer,
    words,
)
from attribution.api.admin.session import (
    COOKIE,
    SIGN_IN_COOKIE,
    SIGN_IN_PATH,
    AdminSession,
    SessionStore,
    clear_cookie,
    current,
    same,
    set_cookie,
    store_of,
)
from attribution.api.auth import FailureLimiter, client_of
from attribution.api.errors import ApiError
from attribution.errors import AttributionError
from attribution.registry import sources as registry
from attribution.registry.schemas import SourcePublic
from attribution.registry.sources import BulkRefusedError
from attribution.registry.tokens import TokenChecker, token_digest
from attribution.resources import TEMPLATES_DIR

ASSETS = TEMPLATES_DIR / "admin"
router = APIRouter(prefix="/admin", include_in_schema=False)
router.include_router(admin_sources.router)
router.include_router(admin_tokens.router)
Viewer = Annotated[AdminSession, Depends(viewer("get"))]


def install(app: FastAPI) -> None:
    """Add the admin page to the app: its routes, its session store, its answers."""
    app.state.admin_sessions = SessionStore(app.state.settings.admin)

    async def answer(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, AdminAnswer)
        return exc.response

    app.add_exception_handler(AdminAnswer, answer)
    app.include_router(router)


@router.get("/admin.css")
def stylesheet() -> FileResponse:
    return FileResponse(ASSETS / "admin.css", media_type="text/css", headers=HEADERS)


@router.get("/admin.js")
def script() -> FileResponse:
    return FileResponse(ASSETS / "admin.js", media_type="text/javascript", headers=HEADERS)


@router.get("")
@router.get("/")
def home() -> Response:
    return see_other(LIST_PATH)


# -- Signing in and out -----------------------------------------------------------------------


def _sign_in_page(
    request: Request, *, status: int = 200, error: str = "", notice: str = ""
) -> HTMLResponse:
    """The form, its CSRF token in a cookie of its own (there is no session yet)."""
    token = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
    page = render(
        request,
        "sign_in.html.j2",
        None,
        status=status,
        csrf=token,
        next=safe_next(request.query_params.get("next")),
        error=error,
        notice=notice,
    )
    set_cookie(page, SIGN_IN_COOKIE, token, settings_of(request).admin)
    return page


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    if current(request) is not None:
        return see_other(safe_next(request.query_params.get("next")))
    notice = words(request)("sign_in.signed_out") if "signed_out" in request.query_params else ""
    return _sign_in_page(request, notice=notice)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_sign_in, request, form)  # token look-up: off the loop


def _sign_in(request: Request, form: FormData) -> Response:
    t = words(request)
    expected = request.cookies.get(SIGN_IN_COOKIE)
    if not expected or not same(expected, form.get("csrf_token")):
        return error_page(request, None, 403, t("error.forbidden_title"), t("error.csrf"))
    token = form.get("token")
    token = token.strip() if isinstance(token, str) else ""
    if not token:
        return _sign_in_page(request, status=401, error=t("sign_in.missing"))
    limiter: FailureLimiter = request.app.state.auth_failures  # as for API requests
    client = client_of(request)
    try:
        limiter.check(client)
    except ApiError as exc:
        wait = (exc.headers or {}).get("Retry-After", "60")
        page = _sign_in_page(request, status=429, error=t("sign_in.too_many", seconds=wait))
        page.headers["Retry-After"] = wait
        return page
    checker: TokenChecker = request.app.state.tokens
    info = checker.check(token)
    if info is None:
        limiter.fail(client)
        return _sign_in_page(request, status=401, error=t("sign_in.invalid"))
    store = store_of(request)
    store.end(request.cookies.get(COOKIE))  # a new id at every sign-in
    session = store.start(info, token_digest(token))
    flash(request, session, "ok", t("sign_in.done", name=info.name))
    answer = see_other(safe_next(form.get("next")))
    set_cookie(answer, COOKIE, session.id, settings_of(request).admin)
    answer.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN_PATH)
    return answer


@router.post("/sign-out")
def sign_out(request: Request, posted: Annotated[Posted, Depends(poster(None))]) -> Response:
    store_of(request).end(posted.session.id)
    answer = see_other(f"{SIGN_IN_PATH}?signed_out=1")
    clear_cookie(answer, settings_of(request).admin)
    return answer


# -- The list and its bulk actions ------------------------------------------------------------


@router.get("/leads/sources")
def list_page(request: Request, session: Viewer) -> HTMLResponse:
    query = ListQuery.of(request.query_params)
    items, meta = registry.list_sources(
        admin_sources.wh(request),
        search=query.q or None,
        channel=query.channel or None,
        active=query.active_flag,
        sort=query.sort,
        page=query.page,
        per_page=query.per_page,
    )
    assert meta is not None
    return render(
        request,
        "list.html.j2",
        session,
        query=query,
        items=items,
        meta=meta,
        channels=admin_sources.channels(request),
        page_sizes=PAGE_SIZES,
        refusals=admin_sources.refusals(request, items),
    )


def _export(request: Request, query: ListQuery, ids: list[int]) -> Response:
    """The selected sources as CSV, or the filtered list when none is selected: the API's
    /api/lead_sources.csv, same columns, same order."""
    wh = admin_sources.wh(request)
    if ids:
        every, _ = registry.list_sources(wh, sort=query.sort)
        chosen = {str(i) for i in ids}
        items: list[SourcePublic] = [s for s in every if s.id in chosen]
    else:
        items, _ = registry.list_sources(
            wh,
            search=query.q or None,
            channel=query.channel or None,
            active=query.active_flag,
            sort=query.sort,
        )
    buffer = io.StringIO()
    registry.write_csv(items, buffer)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={**HEADERS, "content-disposition": 'attachment; filename="lead_sources.csv"'},
    )


def _ids(raw: Sequence[object]) -> list[int]:
    """The ticked ids (a form only sends digits; anything else is dropped)."""
    return [
        int(i) for i in raw if isinstance(i, str) and i.isascii() and i.isdigit() and len(i) < 10
    ]


@router.post("/leads/sources/bulk")
def bulk(request: Request, posted: Annotated[Posted, Depends(poster(None))]) -> Response:
    session, form, t = posted.session, posted.form, words(request)
    query = ListQuery.of(form)
    action = form.get("action")
    ids = _ids(form.getlist("ids"))
    if action == "export":
        if "get" not in session.capabilities:
            return forbidden(request, session, "get")
        return _export(request, query, ids)
    if action not in registry.BULK_ACTIONS:
        flash(request, session, "error", t("bulk.unknown"))
        return see_other(query.url(page=query.page))
    needed = "delete" if action == "delete" else "put"
    if needed not in session.capabilities:
        return forbidden(request, session, needed)
    if not ids:
        flash(request, session, "error", t("bulk.none_selected"))
        return see_other(query.url(page=query.page))
    channel = form.get("new_channel")  # "channel" is the list's filter
    channel = channel.strip() if isinstance(channel, str) else ""
    if action == "set_channel" and not channel:
        flash(request, session, "error", t("bulk.no_channel"))
        return see_other(query.url(page=query.page))
    wh = admin_sources.wh(request)
    if action == "delete" and form.get("confirmed") != "yes":
        chosen = [s for s in (registry.get_source(wh, source_id=i) for i in ids) if s]
        return render(request, "confirm_bulk.html.j2", session, query=query, items=chosen)
    try:
        done = registry.bulk_action(
            wh,
            action=str(action),
            ids=ids,
            channel=channel,
            default_source=settings_of(request).registry.default_source,
        )
    except BulkRefusedError as exc:
        names = {s.id: s.name for s in (registry.get_source(wh, source_id=i) for i in ids) if s}
        reasons = [f"{names.get(i, '#' + i)}: {t.registry(why)}" for i, why in exc.reasons.items()]
        flash(request, session, "error", t("bulk.refused"), *reasons)
    except AttributionError as exc:
        flash(request, session, "error", t.registry(str(exc)))
    else:
        flash(request, session, "ok", t(f"bulk.done.{action}", n=done, channel=channel))
    return see_other(query.url(page=query.page))
