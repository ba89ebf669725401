"""The admin page of API tokens (/admin/tokens): the list (never a secret), a form to create
one, whose secret is shown once on the answer to that POST, and a Revoke button per active
token. Only a session whose token holds `admin` may open it, and a new token may grant only
capabilities the session's token holds (as /api/v1/tokens). Included in admin.router."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from attribution.api.admin.pages import Posted, flash, poster, render, see_other, viewer, words
from attribution.api.admin.session import AdminSession
from attribution.errors import AttributionError, ConflictError, NotFoundError
from attribution.registry import tokens as registry
from attribution.warehouse.connection import Warehouse

router = APIRouter()
TOKENS_PATH = "/admin/tokens"
NAME_LIMIT = 100  # as TokenCreate.name of the API


def _wh(request: Request) -> Warehouse:
    warehouse: Warehouse = request.app.state.pipeline.warehouse
    return warehouse


def _page(
    request: Request,
    session: AdminSession,
    *,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    created: tuple[str, registry.TokenInfo] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "tokens.html.j2",
        session,
        status=status,
        items=registry.list_tokens(_wh(request)),
        capabilities=registry.CAPABILITIES,
        values=values or {"name": "", "capabilities": ()},
        errors=errors or [],
        created=created,
    )


@router.get("/tokens")
def tokens_page(
    request: Request, session: Annotated[AdminSession, Depends(viewer("admin"))]
) -> HTMLResponse:
    return _page(request, session)


@router.post("/tokens")
def create(request: Request, posted: Annotated[Posted, Depends(poster("admin"))]) -> Response:
    session, t = posted.session, words(request)
    raw = posted.form.get("name")
    name = raw.strip() if isinstance(raw, str) else ""
    wanted = [c for c in registry.CAPABILITIES if c in posted.form.getlist("capabilities")]
    values = {"name": name, "capabilities": tuple(wanted)}
    held = ", ".join(session.capabilities)
    errors: list[str] = []
    status = 422
    if not name:
        errors.append(t("tokens.name_required"))
    elif len(name) > NAME_LIMIT or not name.isprintable() or "/" in name:
        errors.append(t("tokens.name_bad", limit=NAME_LIMIT))
    if not wanted:
        errors.append(t("tokens.none_chosen"))
    lacking = [c for c in wanted if c not in session.capabilities]
    if lacking:
        errors.append(t("tokens.beyond", caps=", ".join(lacking), held=held))
        status = 403
    if errors:
        return _page(request, session, status=status, values=values, errors=errors)
    try:
        secret, info = registry.create_token(_wh(request), name=name, capabilities=wanted)
    except ConflictError:
        errors = [t("tokens.name_taken", name=name)]
        return _page(request, session, status=409, values=values, errors=errors)
    except AttributionError as exc:
        return _page(request, session, status=422, values=values, errors=[str(exc)])
    # The secret is in this answer only: no redirect, no flash, nothing kept.
    return _page(request, session, status=201, created=(secret, info))


@router.post("/tokens/revoke")
def revoke(request: Request, posted: Annotated[Posted, Depends(poster("admin"))]) -> Response:
    t = words(request)
    raw = posted.form.get("name")
    name = raw if isinstance(raw, str) else ""
    try:
        info = registry.revoke_token(_wh(request), name=name)
    except NotFoundError:
        flash(request, posted.session, "error", t("tokens.missing", name=name))
    else:
        flash(request, posted.session, "ok", t("tokens.revoked_done", name=info.name))
    return see_other(TOKENS_PATH)
