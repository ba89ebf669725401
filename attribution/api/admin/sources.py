"""The admin page's forms for one lead source: add, edit, delete (with its confirmation, and
the offer to retire a source that is in use). Included in admin.router (prefix /admin)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from attribution.api.admin.messages import Messages
from attribution.api.admin.pages import (
    LIST_PATH,
    Posted,
    error_page,
    flash,
    poster,
    render,
    see_other,
    settings_of,
    viewer,
    words,
)
from attribution.api.admin.session import AdminSession
from attribution.errors import ConflictError
from attribution.registry import sources as registry
from attribution.registry.schemas import SourcePublic, SourceUpdate
from attribution.warehouse.connection import Warehouse

router = APIRouter()
TEXT_FIELDS = ("name", "channel", "utm_source", "utm_medium", "utm_campaign")


def wh(request: Request) -> Warehouse:
    warehouse: Warehouse = request.app.state.pipeline.warehouse
    return warehouse


def channels(request: Request) -> list[str]:
    """Every channel in use, for the filter and the channel pick lists."""
    items, _ = registry.list_sources(wh(request))
    return sorted({s.channel for s in items}, key=str.casefold)


def _refusal(t: Messages, counts: dict[str, int], is_default: bool) -> str | None:
    """Why a source cannot be deleted, as the registry's delete would say (registry.*)."""
    touches, spend = counts["touches"], counts["spend"]
    if is_default:
        return t("registry.default_source")
    if counts["leads"]:
        return t("registry.in_use_leads", n=counts["leads"])
    if touches and spend:
        return t("registry.in_use_both", touches=touches, spend=spend)
    if touches:
        return t("registry.in_use_touches", n=touches)
    if spend:
        return t("registry.in_use_spend", n=spend)
    return None


def refusals(request: Request, items: Sequence[SourcePublic]) -> dict[str, str]:
    """Why each of these sources cannot be deleted, by id: leads, touches or spend rows name
    it (sql/registry/source_usage.sql), or it is the default source. The others can be."""
    if not items:
        return {}
    t = words(request)
    default = settings_of(request).registry.default_source.lower()
    counts = registry.usage(wh(request), ids=[int(s.id) for s in items])
    unused = {"leads": 0, "touches": 0, "spend": 0}
    found: dict[str, str] = {}
    for s in items:
        is_default = bool(default) and s.name.lower() == default
        why = _refusal(t, counts.get(int(s.id), unused), is_default)
        if why:
            found[s.id] = why
    return found


def _source_id(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _found(request: Request, session: AdminSession, raw_id: str) -> SourcePublic | HTMLResponse:
    """The source of that id, or the page saying there is none (404)."""
    sid = _source_id(raw_id)
    src = registry.get_source(wh(request), source_id=sid) if sid is not None else None
    return src if src is not None else _missing(request, session, raw_id)


def _missing(request: Request, session: AdminSession, raw_id: str) -> HTMLResponse:
    t = words(request)
    return error_page(
        request, session, 404, t("error.not_found_title"), t("error.not_found", id=raw_id)
    )


def _form(
    request: Request,
    session: AdminSession,
    *,
    values: dict[str, Any],
    source: SourcePublic | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "form.html.j2",
        session,
        status=status,
        values=values,
        source=source,
        errors=errors or {},
        channels=channels(request),
    )


def _translated(request: Request, errors: dict[str, str]) -> dict[str, str]:
    """The registry's field errors in the page's language."""
    t = words(request)
    return {field: t.registry(message) for field, message in errors.items()}


def _submitted(posted: Posted) -> dict[str, Any]:
    """The form's fields as SourceUpdate.parse takes them (an unticked box sends nothing)."""
    raw: dict[str, Any] = {}
    for field in TEXT_FIELDS:
        value = posted.form.get(field)
        raw[field] = value if isinstance(value, str) else ""
    raw["active"] = "true" if posted.form.get("active") else "false"
    return raw


@router.get("/leads/sources/new")
def new_form(
    request: Request, session: Annotated[AdminSession, Depends(viewer("post"))]
) -> HTMLResponse:
    values: dict[str, Any] = {f: "" for f in TEXT_FIELDS} | {"active": True}
    return _form(request, session, values=values, source=None)


@router.post("/leads/sources/new")
def create(request: Request, posted: Annotated[Posted, Depends(poster("post"))]) -> Response:
    raw = _submitted(posted)
    values = {**raw, "active": raw["active"] == "true"}
    fields, errors = SourceUpdate.parse(raw, creating=True)
    errors = _translated(request, errors)
    if errors:
        return _form(request, posted.session, values=values, source=None, errors=errors, status=422)
    try:
        registry.create_source(wh(request), fields=fields)
    except ConflictError as exc:
        errors = {exc.field or "name": words(request).registry(str(exc))}
        return _form(request, posted.session, values=values, source=None, errors=errors, status=409)
    flash(request, posted.session, "ok", words(request)("form.created", name=fields.name))
    return see_other(LIST_PATH)


@router.get("/leads/sources/{source_id}/edit")
def edit_form(
    request: Request, source_id: str, session: Annotated[AdminSession, Depends(viewer("put"))]
) -> HTMLResponse:
    src = _found(request, session, source_id)
    if isinstance(src, HTMLResponse):
        return src
    values = {f: getattr(src, f) or "" for f in TEXT_FIELDS} | {"active": src.active}
    return _form(request, session, values=values, source=src)


@router.post("/leads/sources/{source_id}/edit")
def edit(
    request: Request, source_id: str, posted: Annotated[Posted, Depends(poster("put"))]
) -> Response:
    src = _found(request, posted.session, source_id)
    if isinstance(src, HTMLResponse):
        return src
    raw = _submitted(posted)
    values = {**raw, "active": raw["active"] == "true"}
    fields, errors = SourceUpdate.parse(raw, creating=False)
    errors = _translated(request, errors)
    status = 422
    if not errors:
        try:
            if registry.update_source(wh(request), source_id=int(src.id), fields=fields):
                flash(request, posted.session, "ok", words(request)("form.saved", name=fields.name))
                return see_other(LIST_PATH)
            return _missing(request, posted.session, source_id)  # deleted meanwhile
        except ConflictError as exc:
            errors, status = {exc.field or "name": words(request).registry(str(exc))}, 409
    return _form(request, posted.session, values=values, source=src, errors=errors, status=status)


@router.get("/leads/sources/{source_id}/delete")
def delete_form(
    request: Request, source_id: str, session: Annotated[AdminSession, Depends(viewer("delete"))]
) -> HTMLResponse:
    src = _found(request, session, source_id)
    if isinstance(src, HTMLResponse):
        return src
    refused = refusals(request, [src]).get(src.id, "")  # known now: no Delete that will refuse
    return render(request, "confirm_delete.html.j2", session, source=src, refused=refused)


@router.post("/leads/sources/{source_id}/delete")
def delete(
    request: Request, source_id: str, posted: Annotated[Posted, Depends(poster("delete"))]
) -> Response:
    src = _found(request, posted.session, source_id)
    if isinstance(src, HTMLResponse):
        return src
    default = settings_of(request).registry.default_source
    try:
        gone = registry.delete_source(wh(request), source_id=int(src.id), default_source=default)
    except ConflictError as exc:  # InUseError: leads still name it
        return render(
            request,
            "confirm_delete.html.j2",
            posted.session,
            status=409,
            source=src,
            refused=words(request).registry(str(exc)),
        )
    if not gone:
        return _missing(request, posted.session, source_id)
    flash(request, posted.session, "ok", words(request)("delete.done", name=src.name))
    return see_other(LIST_PATH)
