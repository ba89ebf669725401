"""Admin page plumbing: templates of reports/admin/ in the language of admin.language, the
security headers of every page, and the guards of the routes (signed in, capability, CSRF)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from attribution.api.admin.messages import Messages
from attribution.api.admin.session import (
    SIGN_IN_PATH,
    AdminSession,
    Flash,
    current,
    same,
    store_of,
)
from attribution.config import Settings
from attribution.reporting import report
from attribution.reporting.render import environment

LIST_PATH = "/admin/leads/sources"
SORT_KEYS = ("name", "channel", "lead_count", "created_at")  # registry.SORT_KEYS, as columns
PAGE_SIZES = (25, 50, 100)
HEADERS = {
    # No inline script or style anywhere: the page's own files only.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class AdminAnswer(Exception):
    """Ends a request with this page or redirect (raised by the guards)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@cache
def _templates() -> Environment:
    return environment()


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def words(request: Request) -> Messages:
    return Messages(settings_of(request).admin.language)


def latest_report(request: Request) -> dict[str, Any] | None:
    """The manifest (with its folder) of the report of the latest period, or None: the first
    of report.list_reports, which sorts by period, not by when a report was built."""
    settings = settings_of(request)
    found = report.list_reports(settings.resolve(settings.reports.output_dir))
    return found[0] if found else None


def render(
    request: Request,
    template: str,
    session: AdminSession | None,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page of reports/admin/ with the session's flash messages (taken: shown once)."""
    flashes = store_of(request).take_flashes(session) if session else []
    show_report = session is not None and "get" in session.capabilities
    html = (
        _templates()
        .get_template(f"admin/{template}")
        .render(
            t=words(request),
            lang=settings_of(request).admin.language,
            session=session,
            flashes=flashes,
            report=latest_report(request) if show_report else None,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def flash(request: Request, session: AdminSession, kind: str, text: str, *details: str) -> None:
    store_of(request).flash(session, Flash(kind, text, tuple(details)))


def see_other(url: str) -> RedirectResponse:
    """POST-redirect-GET."""
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def safe_next(raw: object) -> str:
    """Where to go after signing in: a page of the admin, never another site."""
    if not isinstance(raw, str) or raw.startswith(SIGN_IN_PATH):
        return LIST_PATH
    return raw if raw.startswith("/admin/") and raw.isprintable() and "\\" not in raw else LIST_PATH


def to_sign_in(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = here if request.method == "GET" else LIST_PATH
    return see_other(f"{SIGN_IN_PATH}?{urlencode({'next': target})}")


def error_page(
    request: Request, session: AdminSession | None, status: int, title: str, message: str
) -> HTMLResponse:
    return render(request, "error.html.j2", session, status=status, title=title, message=message)


def forbidden(request: Request, session: AdminSession, capability: str) -> HTMLResponse:
    t = words(request)
    message = t("error.forbidden", name=session.token_name, capability=capability)
    return error_page(request, session, 403, t("error.forbidden_title"), message)


def viewer(capability: str) -> Callable[[Request], AdminSession]:
    """A dependency of GET pages: the session, whose token holds `capability`."""

    def guard(request: Request) -> AdminSession:
        session = current(request)
        if session is None:
            raise AdminAnswer(to_sign_in(request))
        if capability not in session.capabilities:
            raise AdminAnswer(forbidden(request, session, capability))
        return session

    return guard


@dataclass(frozen=True)
class Posted:
    session: AdminSession
    form: FormData


def poster(capability: str | None) -> Callable[[Request], Awaitable[Posted]]:
    """A dependency of POST routes: signed in, the form's CSRF token is the session's, and the
    token holds `capability` (None: the route checks it). Otherwise nothing runs."""

    async def guard(request: Request) -> Posted:
        session = await run_in_threadpool(current, request)
        if session is None:
            raise AdminAnswer(to_sign_in(request))
        form = await request.form()
        if not same(session.csrf, form.get("csrf_token")):
            t = words(request)
            page = error_page(request, session, 403, t("error.forbidden_title"), t("error.csrf"))
            raise AdminAnswer(page)
        if capability is not None and capability not in session.capabilities:
            raise AdminAnswer(forbidden(request, session, capability))
        return Posted(session, form)

    return guard


@dataclass(frozen=True)
class ListQuery:
    """What the list shows: search, filters, sort, page. Bad values fall back to defaults."""

    q: str = ""
    channel: str = ""
    active: str = ""  # "", "true" or "false"
    sort: str = "name"
    page: int = 1
    per_page: int = PAGE_SIZES[0]

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> ListQuery:
        def text(key: str) -> str:
            value = params.get(key)
            return value.strip()[:200] if isinstance(value, str) else ""

        def number(key: str, default: int) -> int:
            raw = text(key)
            return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else default

        sort = text("sort")
        per_page = number("per_page", PAGE_SIZES[0])
        return cls(
            q=text("q"),
            channel=text("channel"),
            active=text("active") if text("active") in ("true", "false") else "",
            sort=sort if sort.removeprefix("-") in SORT_KEYS else "name",
            page=max(1, number("page", 1)),
            per_page=per_page if per_page in PAGE_SIZES else PAGE_SIZES[0],
        )

    @property
    def active_flag(self) -> bool | None:
        return {"true": True, "false": False}.get(self.active)

    def fields(self) -> dict[str, str]:
        """The values that differ from the defaults, as query or hidden form fields."""
        default = ListQuery()
        return {k: str(v) for k, v in vars(self).items() if v != getattr(default, k)}

    def url(self, **changes: Any) -> str:
        """The list with some values changed (page back to 1 unless it is given)."""
        changed = replace(self, **{"page": 1, **changes})
        query = urlencode(changed.fields())
        return LIST_PATH + (f"?{query}" if query else "")

    def sort_url(self, key: str) -> str:
        """A column header's link: ascending first, then the other way."""
        return self.url(sort=f"-{key}" if self.sort == key else key)

    def aria_sort(self, key: str) -> str | None:
        return {key: "ascending", f"-{key}": "descending"}.get(self.sort)
