"""The CRM-compatible lead_sources endpoints: paths, bodies, codes and messages of the contract."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from attribution.api.auth import FORBIDDEN, require
from attribution.api.cache import ReadCache
from attribution.api.errors import ApiError
from attribution.errors import AttributionError, ConflictError, InUseError, InvalidFieldsError
from attribution.registry import sources as registry
from attribution.registry.listing import ListQuery, SortedSources, csv_bytes
from attribution.registry.schemas import FIELDS, SourcePage, SourcePublic, SourceUpdate
from attribution.registry.sources import BulkRefusedError
from attribution.registry.tokens import TokenInfo
from attribution.warehouse.connection import Warehouse

router = APIRouter(prefix="/api", tags=["lead_sources"])

NO_DATA = "No data were found"
Search = Annotated[str | None, Query(description="Text found in name, channel or UTM values.")]
Channel = Annotated[str | None, Query(description="Only this channel (any case).")]
Active = Annotated[str | None, Query(description="true or false.")]
Sort = Annotated[str, Query(description="name, -name, id, lead_count, channel, ... ('-' = desc).")]
Page = Annotated[int | None, Query(ge=1, description="Page number; turns on the paged shape.")]
# Pages past this are refused, so that the page's offset always fits the database's 64-bit
# integers. Checked in code, not in the OpenAPI bound: schemathesis's stateful generation
# draws inconsistently over a bounded integer there.
MAX_PAGE = 1_000_000
PerPage = Annotated[int | None, Query(ge=1, le=500, description="Rows per page (default 50).")]


def _body_doc(schema: dict[str, Any], *, required: bool) -> dict[str, Any]:
    """The OpenAPI requestBody of a route that reads JSON or form data itself."""
    media = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
    return {
        "requestBody": {
            "required": required,
            "content": {m: {"schema": schema} for m in media},
        }
    }


_SOURCE_FIELDS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 150},
        "channel": {"type": "string"},
        "utm_source": {"type": "string"},
        "utm_medium": {"type": "string"},
        "utm_campaign": {"type": "string"},
        "active": {"type": "boolean"},
    },
}
CREATE_DOC = _body_doc({**_SOURCE_FIELDS, "required": ["name"]}, required=True)
UPDATE_DOC = _body_doc(_SOURCE_FIELDS, required=True)
BULK_DOC = _body_doc(
    {
        "type": "object",
        "required": ["action", "ids"],
        "properties": {
            "action": {"type": "string", "enum": list(registry.BULK_ACTIONS)},
            "ids": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]+$"}},
            "channel": {"type": "string"},
        },
    },
    required=True,
)


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def _cache(request: Request) -> ReadCache:
    cache: ReadCache = request.app.state.cache
    return cache


def _wh(request: Request) -> Warehouse:
    wh: Warehouse = request.app.state.pipeline.warehouse
    return wh


def _source_id(raw: str) -> int:
    """A numeric id (ASCII digits only); anything else is the contract's invalid id."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ApiError(404, "Invalid Lead Source ID")
    return int(raw)


def _active(raw: str | None) -> bool | None:
    if raw is None or raw == "":
        return None
    text = raw.strip().lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise ApiError(422, "active must be true or false")


async def _body(request: Request) -> dict[str, Any] | None:
    """The fields sent as JSON, multipart or urlencoded form data; None when there is no body."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The body is not valid JSON; send JSON or form data.") from None
    if not isinstance(data, dict):
        raise ApiError(400, 'The body must be a JSON object of fields, e.g. {"name": "X"}.')
    return data


def _fields(data: dict[str, Any], *, creating: bool, compat: bool) -> SourceUpdate:
    fields, errors = SourceUpdate.parse(data, creating=creating)
    if errors:
        raise ApiError(404 if compat and creating else 422, " ".join(errors.values()), error=errors)
    return fields


async def _sorted(
    request: Request, search: str | None, channel: str | None, active: str | None, sort: str
) -> SortedSources:
    """The cached list of the query (computed off the event loop on a miss); a bad option is
    a 422."""
    try:
        query = ListQuery.of(search, channel, _active(active), sort)
    except AttributionError as exc:
        raise ApiError(422, str(exc)) from None
    wh = _wh(request)
    return await _cache(request).view(
        ("list", query), lambda: run_in_threadpool(registry.sorted_sources, wh, query)
    )


@router.get(
    "/lead_sources",
    response_model=list[SourcePublic] | SourcePage,
    summary="List lead sources (ordered by name; paged when page or per_page is given)",
)
async def list_sources(
    request: Request,
    _: Annotated[TokenInfo, Depends(require("get"))],
    search: Search = None,
    channel: Channel = None,
    active: Active = None,
    sort: Sort = "name",
    page: Page = None,
    per_page: PerPage = None,
) -> Any:

    if page is not None and page > MAX_PAGE:
        raise ApiError(422, f"page must be less than or equal to {MAX_PAGE}.")
    listed = await _sorted(request, search, channel, active, sort)
    if not listed.count(page, per_page) and request.app.state.settings.api.compat_404:
        raise ApiError(404, NO_DATA)
    return _json(listed.json(page, per_page))


@router.get("/lead_sources.csv", summary="Export lead sources as CSV (same filters as the list)")
async def export_sources(
    request: Request,
    _: Annotated[TokenInfo, Depends(require("get"))],
    search: Search = None,
    channel: Channel = None,
    active: Active = None,
    sort: Sort = "name",
) -> Response:

    listed = await _sorted(request, search, channel, active, sort)
    body = listed.csv()
    if body is None:  # rendered in a worker thread, from a copy of the rows
        rows, version = listed.csv_rows()
        body = await run_in_threadpool(csv_bytes, rows)
        listed.keep_csv(body, version)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="lead_sources.csv"'},
    )


@router.get("/lead_sources/{source_id}", response_model=SourcePublic, summary="One lead source")
async def get_source(
    request: Request, source_id: str, _: Annotated[TokenInfo, Depends(require("get"))]
) -> Any:
    sid = _source_id(source_id)
    wh = _wh(request)
    one = await _cache(request).view(
        ("one", sid), lambda: run_in_threadpool(registry.one_source, wh, source_id=sid)
    )
    if one.row is None:
        raise ApiError(404, NO_DATA)
    return _json(one.row.record)


@router.post(
    "/lead_sources",
    summary="Add a lead source (JSON, multipart or urlencoded form)",
    openapi_extra=CREATE_DOC,
)
async def add_source(
    request: Request, _: Annotated[TokenInfo, Depends(require("post"))]
) -> JSONResponse:
    compat = request.app.state.settings.api.compat_404
    fields = _fields(await _body(request) or {}, creating=True, compat=compat)
    try:
        new_id = await run_in_threadpool(registry.create_source, _wh(request), fields=fields)
    except ConflictError as exc:
        raise ApiError(409, str(exc), error={exc.field or "name": str(exc)}) from None
    return JSONResponse(
        {"status": True, "message": "Lead Source add successful.", "record_id": new_id}
    )


@router.put(
    "/lead_sources/{source_id}",
    summary="Change any fields of a lead source",
    openapi_extra=UPDATE_DOC,
)
async def update_source(
    request: Request, source_id: str, _: Annotated[TokenInfo, Depends(require("put"))]
) -> JSONResponse:
    sid = _source_id(source_id)
    data = await _body(request)
    if not data or not any(k in data for k in FIELDS):
        raise ApiError(406, "Data Not Acceptable OR Not Provided")
    fields = _fields(data, creating=False, compat=False)
    try:
        found = await run_in_threadpool(
            registry.update_source, _wh(request), source_id=sid, fields=fields
        )
    except ConflictError as exc:
        raise ApiError(409, str(exc), error={exc.field or "name": str(exc)}) from None
    if not found:
        raise ApiError(404, "Lead Source Update Fail.")
    return JSONResponse({"status": True, "message": "Lead Source Update Successful."})


async def _delete(request: Request, source_id: str) -> JSONResponse:
    sid = _source_id(source_id)
    default = request.app.state.settings.registry.default_source
    try:
        found = await run_in_threadpool(
            registry.delete_source, _wh(request), source_id=sid, default_source=default
        )
    except InUseError as exc:
        raise ApiError(
            409,
            str(exc),
            usage=exc.usage,
            hint='Retire it instead: PUT {"active": false} keeps its history.',
        ) from None
    if not found:
        raise ApiError(404, "Lead Source Delete Fail.")
    return JSONResponse({"status": True, "message": "Lead Source Delete Successful."})


@router.delete("/delete/lead_sources/{source_id}", summary="Delete a lead source (CRM path)")
async def delete_source_crm(
    request: Request, source_id: str, _: Annotated[TokenInfo, Depends(require("delete"))]
) -> JSONResponse:
    return await _delete(request, source_id)


@router.delete("/lead_sources/{source_id}", summary="Delete a lead source")
async def delete_source(
    request: Request, source_id: str, _: Annotated[TokenInfo, Depends(require("delete"))]
) -> JSONResponse:
    return await _delete(request, source_id)


@router.post(
    "/lead_sources/bulk",
    summary="One action on many sources, all or nothing",
    openapi_extra=BULK_DOC,
)
async def bulk(request: Request, token: Annotated[TokenInfo, Depends(require(None))]) -> Any:
    data = await _body(request)
    if not data:
        raise ApiError(406, "Data Not Acceptable OR Not Provided")
    action = str(data.get("action", ""))
    needed = "delete" if action == "delete" else "put"
    if needed not in token.capabilities:
        raise ApiError(403, FORBIDDEN)
    raw_ids = data.get("ids")
    if isinstance(raw_ids, str):
        raw_ids = [p for p in raw_ids.split(",") if p.strip()]
    if not isinstance(raw_ids, list) or not all(
        str(i).strip().isascii() and str(i).strip().isdigit() and len(str(i).strip()) <= 18
        for i in raw_ids
    ):
        raise ApiError(422, 'ids must be a list of lead source ids, e.g. ["3", "4"]')
    ids = [int(str(i).strip()) for i in raw_ids]
    try:
        done = await run_in_threadpool(
            registry.bulk_action,
            _wh(request),
            action=action,
            ids=ids,
            channel=data.get("channel"),
            default_source=request.app.state.settings.registry.default_source,
        )
    except BulkRefusedError as exc:
        raise ApiError(409, str(exc), errors=exc.reasons) from None
    except InvalidFieldsError:
        raise
    except AttributionError as exc:
        raise ApiError(422, str(exc)) from None
    return {"status": True, "message": f"{action} done for {done} lead sources.", "affected": done}
