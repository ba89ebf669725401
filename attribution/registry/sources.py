"""The lead-source registry: where every lead came from. Keyword-only CRUD on SQLAlchemy models.

The CLI, the HTTP API and the admin page all call these functions; none holds rules of its own."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from attribution import clock
from attribution.errors import AttributionError, ConflictError, InUseError, NotFoundError
from attribution.registry.orm import LeadSource
from attribution.registry.schemas import PageMeta, SourcePublic, SourceUpdate
from attribution.reporting.render import csv_cell
from attribution.warehouse.connection import Warehouse
from attribution.warehouse.statements import statement

# Sort keys a client may name, and the expressions of sql/registry/list_sources.sql they mean.
SORT_KEYS: dict[str, str] = {
    "name": "lower(s.name)",
    "id": "s.id",
    "channel": "lower(s.channel)",
    "lead_count": "lead_count",
    "active": "s.active",
    "created_at": "s.created_at",
    "updated_at": "s.updated_at",
}
BULK_ACTIONS: tuple[str, ...] = ("delete", "activate", "deactivate", "set_channel")
PER_PAGE_MAX = 500
# Columns of a CSV export, which `attribution sources import` reads back (it uses name ... active).
CSV_COLUMNS = (
    "id",
    "name",
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "active",
    "auto_created",
    "lead_count",
    "created_at",
    "updated_at",
)


class BulkRefusedError(ConflictError):
    """A bulk action refused whole: reasons maps each refused id to why."""

    def __init__(self, reasons: dict[str, str]) -> None:
        super().__init__(f"Nothing was changed: {len(reasons)} of the ids cannot be processed.")
        self.reasons = reasons


def _public(row: dict[str, Any]) -> SourcePublic:
    return SourcePublic.model_validate({**row, "id": str(row["id"])})


def sort_clause(sort: str) -> str:
    """ORDER BY for an allow-listed key ('-' for descending), ties broken by id."""
    key = sort.removeprefix("-")
    if key not in SORT_KEYS:
        allowed = ", ".join(f"{k}, -{k}" for k in SORT_KEYS)
        raise AttributionError(f"sort must be one of: {allowed}")
    direction = "DESC" if sort.startswith("-") else "ASC"
    return f" ORDER BY {SORT_KEYS[key]} {direction}, s.id ASC"


def _like(search: str | None) -> str | None:
    text = (search or "").strip().lower()
    if not text:
        return None
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _query(wh: Warehouse, params: dict[str, Any], tail: str) -> list[dict[str, Any]]:
    """Rows of sql/registry/list_sources.sql plus an allow-listed ORDER BY / LIMIT, on this
    thread's read connection (reads run in many threads at once)."""
    sql = statement("registry/list_sources") + tail
    return wh.reader().records_text(sql, params, name="registry/list_sources")


def _filters(
    search: str | None, channel: str | None, active: bool | None, source_id: int | None = None
) -> dict[str, Any]:
    return {
        "search": _like(search),
        "channel": (channel or "").strip().lower() or None,
        "active": active,
        "id": source_id,
    }


def _rows(
    wh: Warehouse, params: dict[str, Any], sort: str, page: int | None, per_page: int | None
) -> tuple[list[dict[str, Any]], PageMeta | None]:
    """Matching rows, sorted, one page of them with its meta when paging is asked."""
    tail = sort_clause(sort)
    if page is None and per_page is None:
        return _query(wh, params, tail), None
    number = max(1, page or 1)
    size = min(PER_PAGE_MAX, max(1, per_page or 50))
    paged = {**params, "limit": size, "offset": (number - 1) * size}
    rows = _query(wh, paged, tail + " LIMIT $limit OFFSET $offset")
    total = int(rows[0]["total"]) if rows else _count(wh, params)
    meta = PageMeta(
        page=number, per_page=size, total=total, total_pages=max(1, math.ceil(total / size))
    )
    return rows, meta


def list_sources(
    wh: Warehouse,
    *,
    search: str | None = None,
    channel: str | None = None,
    active: bool | None = None,
    sort: str = "name",
    page: int | None = None,
    per_page: int | None = None,
) -> tuple[list[SourcePublic], PageMeta | None]:
    """Sources matching the filters, sorted; a page of them with its meta when paging is asked."""
    rows, meta = _rows(wh, _filters(search, channel, active), sort, page, per_page)
    return [_public(row) for row in rows], meta


def list_sources_json(
    wh: Warehouse,
    *,
    search: str | None = None,
    channel: str | None = None,
    active: bool | None = None,
    sort: str = "name",
    page: int | None = None,
    per_page: int | None = None,
) -> tuple[bytes, PageMeta | None, int]:
    """The same list as API JSON built by DuckDB (a JSON array of records), its page meta, and
    how many records it holds: the API's hot path, with no model object per row."""
    rows, meta = _rows(wh, _filters(search, channel, active), sort, page, per_page)
    body = ("[" + ",".join(str(r["record"]) for r in rows) + "]").encode()
    return body, meta, len(rows)


def _count(wh: Warehouse, params: dict[str, Any]) -> int:
    """Matching sources when the page asked for lies past the last one."""
    return len(_query(wh, params, ""))


ID_MAX = 2**31 - 1  # ids are INTEGER: a larger one names no source


def get_source(wh: Warehouse, *, source_id: int) -> SourcePublic | None:
    if not 0 < source_id <= ID_MAX:
        return None
    rows = _query(wh, _filters(None, None, None, source_id), "")
    return _public(rows[0]) if rows else None


def get_source_json(wh: Warehouse, *, source_id: int) -> bytes | None:
    """One source as API JSON built by DuckDB, or None."""
    if not 0 < source_id <= ID_MAX:
        return None
    rows = _query(wh, _filters(None, None, None, source_id), "")
    return str(rows[0]["record"]).encode() if rows else None


def _check_unique(session: Session, values: dict[str, Any], own_id: int | None) -> None:
    """Refuse a duplicate name, or a UTM rule another source already claims (naming both)."""
    if "name" in values:
        clash = session.scalar(
            select(LeadSource).where(
                LeadSource.name_key == values["name"].lower(), LeadSource.id != (own_id or -1)
            )
        )
        if clash is not None:
            raise ConflictError(f"A lead source named {clash.name!r} already exists.", field="name")
    rule = [values.get(f) for f in ("utm_source", "utm_medium", "utm_campaign")]
    if not any(rule):
        return
    conditions = [
        func.lower(func.coalesce(c, "")) == (v or "").lower()
        for c, v in zip(
            (LeadSource.utm_source, LeadSource.utm_medium, LeadSource.utm_campaign),
            rule,
            strict=True,
        )
    ]
    clash = session.scalar(select(LeadSource).where(*conditions, LeadSource.id != (own_id or -1)))
    if clash is not None:
        shown = ", ".join(
            f"{k}={v}"
            for k, v in zip(("utm_source", "utm_medium", "utm_campaign"), rule, strict=True)
            if v
        )
        name = values.get("name") or "this source"
        raise ConflictError(
            f"{name!r} and {clash.name!r} cannot both claim the UTM rule {shown}: "
            "a touch maps to one source only.",
            field="utm_source",
        )


def _commit(session: Session) -> None:
    try:
        session.commit()
    except (IntegrityError, OperationalError) as exc:
        session.rollback()
        raise ConflictError("The change clashes with a concurrent one; try again.") from exc


def create_source(wh: Warehouse, *, fields: SourceUpdate, auto_created: bool = False) -> int:
    """Add a source; returns its id. ConflictError on a duplicate name or claimed UTM rule."""
    values = fields.given()
    now = clock.utc_now()
    with wh.writing("registry") as change, wh.sessions()() as session:
        _check_unique(session, values, None)
        src = LeadSource(
            name=values["name"],
            name_key=values["name"].lower(),
            channel=values.get("channel") or "Unassigned",
            utm_source=values.get("utm_source"),
            utm_medium=values.get("utm_medium"),
            utm_campaign=values.get("utm_campaign"),
            active=values.get("active", True) is not False,
            auto_created=auto_created,
            created_at=now,
            updated_at=now,
        )
        session.add(src)
        _commit(session)
        change.keys = {src.id}
        return src.id


def update_source(wh: Warehouse, *, source_id: int, fields: SourceUpdate) -> bool:
    """Change the given fields; False when no such source. Unchanged values are fine."""
    values = fields.given()
    if not 0 < source_id <= ID_MAX:
        return False
    with wh.writing("registry") as change, wh.sessions()() as session:
        change.keys = {source_id}
        src = session.get(LeadSource, source_id)
        if src is None:
            return False
        utm = ("utm_source", "utm_medium", "utm_campaign")
        checks = {k: values[k] for k in ("name",) if k in values}
        if any(k in values for k in utm):  # the rule as it will be, whichever part changes
            checks |= {k: values.get(k, getattr(src, k)) for k in utm}
            checks.setdefault("name", src.name)
        if checks:
            _check_unique(session, checks, source_id)
        changed = False
        for field, value in values.items():
            if field == "channel":
                value = value or "Unassigned"
            if getattr(src, field) != value:
                setattr(src, field, value)
                changed = True
        if "name" in values:
            src.name_key = values["name"].lower()
        if changed:
            src.updated_at = clock.utc_now()
            _commit(session)
        return True


def usage(wh: Warehouse, *, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """For each existing id: how many leads, touches and spend rows name it."""
    rows = wh.reader().records("registry/source_usage", {"ids": list(ids)})
    return {int(r["id"]): {k: int(r[k]) for k in ("leads", "touches", "spend")} for r in rows}


def _refusal(counts: dict[str, int], is_default: bool) -> str | None:
    """Why a source cannot be deleted, in the contract's words when leads name it."""
    if is_default:
        return "The lead source is the configured default source and cannot be deleted."
    if counts["leads"]:
        return f"The lead source is in use by {counts['leads']} leads and cannot be deleted."
    others = [f"{counts[k]} {k} rows" for k in ("touches", "spend") if counts[k]]
    if others:
        return f"The lead source is in use by {' and '.join(others)} and cannot be deleted."
    return None


def delete_source(wh: Warehouse, *, source_id: int, default_source: str = "") -> bool:
    """Delete an unused source; False when none. InUseError while data still names it."""
    if not 0 < source_id <= ID_MAX:
        return False
    with wh.writing("registry") as change, wh.sessions()() as session:
        change.keys = {source_id}
        src = session.get(LeadSource, source_id)
        if src is None:
            return False
        counts = usage(wh, ids=[source_id]).get(source_id, {"leads": 0, "touches": 0, "spend": 0})
        reason = _refusal(counts, bool(default_source) and src.name_key == default_source.lower())
        if reason:
            raise InUseError(reason, usage=counts)
        session.delete(src)
        _commit(session)
        return True


def bulk_action(
    wh: Warehouse,
    *,
    action: str,
    ids: Sequence[int],
    channel: str | None = None,
    default_source: str = "",
) -> int:
    """Apply one action to every id in one transaction, or refuse all with a reason per id."""
    if action not in BULK_ACTIONS:
        raise AttributionError(f"action must be one of: {', '.join(BULK_ACTIONS)}")
    if action == "set_channel" and not (channel or "").strip():
        raise AttributionError("set_channel needs a non-empty channel")
    if not ids:
        raise AttributionError("ids must list at least one lead source id")
    unique = sorted({i for i in ids if 0 < i <= ID_MAX})
    missing = {str(i): "No such lead source." for i in ids if not 0 < i <= ID_MAX}
    with wh.writing("registry") as change, wh.sessions()() as session:
        change.keys = set(unique)
        found = {
            s.id: s for s in session.scalars(select(LeadSource).where(LeadSource.id.in_(unique)))
        }
        reasons = {str(i): "No such lead source." for i in unique if i not in found} | missing
        if action == "delete":
            counts = usage(wh, ids=list(found))
            for i, src in found.items():
                is_default = bool(default_source) and src.name_key == default_source.lower()
                reason = _refusal(counts[i], is_default)
                if reason:
                    reasons[str(i)] = reason
        if reasons:
            raise BulkRefusedError(reasons)
        now = clock.utc_now()
        for src in found.values():
            if action == "delete":
                session.delete(src)
            elif action == "set_channel":
                src.channel, src.updated_at = (channel or "").strip(), now
            else:
                src.active, src.updated_at = action == "activate", now
        _commit(session)
    return len(found)


def write_csv(items: Sequence[SourcePublic], out: TextIO) -> None:
    """Sources as CSV with a header; text a spreadsheet would run as a formula is defused."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    rows = [item.model_dump(mode="json") for item in items]
    writer.writerows([[csv_cell(row[c]) for c in CSV_COLUMNS] for row in rows])


def require_source(wh: Warehouse, *, source_id: int) -> SourcePublic:
    src = get_source(wh, source_id=source_id)
    if src is None:
        raise NotFoundError(f"no lead source with id {source_id}")
    return src


def ensure_source(wh: Warehouse, *, fields: SourceUpdate) -> int:
    """The id of the source of that name, created through create_source when missing."""
    existing = wh.reader().scalar("registry/source_id_by_name", {"name": fields.name or ""})
    if existing is not None:
        return int(existing)
    return create_source(wh, fields=fields)
