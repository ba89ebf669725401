"""The lead-source registry: where every lead came from. Keyword-only CRUD in SQL statements.

The CLI, the HTTP API and the admin page all call these functions; none holds rules of its own.
Every write runs its uniqueness or usage checks inside its own statement, under the process's
write lock, then reads the rows it changed back for caches (Change.rows)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

from attribution import clock
from attribution.errors import AttributionError, ConflictError, InUseError, NotFoundError
from attribution.registry.listing import (
    CSV_COLUMNS,
    PER_PAGE_MAX,
    SORT_KEYS,
    ListQuery,
    OneSource,
    SortedSources,
    SourceRow,
    Uncounted,
    check_sort,
    write_csv,
)
from attribution.registry.schemas import PageMeta, SourcePublic, SourceUpdate
from attribution.warehouse.batching import Combine
from attribution.warehouse.connection import Change, Warehouse
from attribution.warehouse.statements import fill, quote_ident, statement

__all__ = ["CSV_COLUMNS", "PER_PAGE_MAX", "SORT_KEYS", "write_csv"]
BULK_ACTIONS: tuple[str, ...] = ("delete", "activate", "deactivate", "set_channel")
UTM = ("utm_source", "utm_medium", "utm_campaign")
REGISTRY = ("registry",)  # the cache topic of every write here
CONCURRENT = "The change clashes with a concurrent one; try again."


class BulkRefusedError(ConflictError):
    """A bulk action refused whole: reasons maps each refused id to why."""

    def __init__(self, reasons: dict[str, str]) -> None:
        super().__init__(f"Nothing was changed: {len(reasons)} of the ids cannot be processed.")
        self.reasons = reasons


def _public(row: dict[str, Any]) -> SourcePublic:
    return SourcePublic.model_validate({**row, "id": str(row["id"])})


def sort_clause(sort: str) -> str:
    """ORDER BY for an allow-listed key ('-' for descending), ties broken by id."""
    key = check_sort(sort)
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
    search: str | None, channel: str | None, active: bool | None, ids: list[int] | None = None
) -> dict[str, Any]:
    return {
        "search": _like(search),
        "channel": (channel or "").strip().lower() or None,
        "active": active,
        "ids": ids,
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


def sorted_sources(wh: Warehouse, query: ListQuery) -> SortedSources:
    """Every source the query keeps, in its order: the API's cached list, patched in place."""
    params = _filters(query.search, query.channel, query.active)
    return SortedSources.of(query, [SourceRow.of(r) for r in _query(wh, params, "")])


def _count(wh: Warehouse, params: dict[str, Any]) -> int:
    """Matching sources when the page asked for lies past the last one."""
    return len(_query(wh, params, ""))


ID_MAX = 2**31 - 1  # ids are INTEGER: a larger one names no source


def source_rows(wh: Warehouse, ids: Sequence[int]) -> dict[int, SourceRow]:
    """The rows of the given sources that exist, as the lists show them."""
    rows = _query(wh, _filters(None, None, None, [i for i in ids if 0 < i <= ID_MAX]), "")
    return {int(r["id"]): SourceRow.of(r) for r in rows}


def source_row(wh: Warehouse, *, source_id: int) -> SourceRow | None:
    """One source as the API shows it, or None."""
    if not 0 < source_id <= ID_MAX:
        return None
    return source_rows(wh, [source_id]).get(source_id)


def one_source(wh: Warehouse, *, source_id: int) -> OneSource:
    """The API's cached view of one source (its row, or None), patched in place."""
    return OneSource(source_id, source_row(wh, source_id=source_id))


def get_source(wh: Warehouse, *, source_id: int) -> SourcePublic | None:
    row = source_row(wh, source_id=source_id)
    return None if row is None else row.public()


def _rule(values: dict[str, Any]) -> dict[str, Any]:
    """The UTM rule's given values as the checks compare them: lower-case, '' for none."""
    return {f"rule_{f.removeprefix('utm_')}": (values.get(f) or "").lower() for f in UTM}


def _find_clash(db: Warehouse, values: dict[str, Any], own_id: int | None) -> ConflictError | None:
    """The error for a name or UTM rule another source has (naming both), or None: one round
    trip. For an update, the rule is the one the source will have, whichever parts change."""
    creating = own_id is None
    params = {
        "own_id": -1 if creating else own_id,
        "name_key": values["name"].lower() if values.get("name") else None,
        **{f"set_{f}": creating or f in values for f in UTM},
        **_rule(values),
    }
    found = db.records("registry/find_clash", params)
    if not found:
        return None
    clash = found[0]
    if clash["name_taken"]:
        return ConflictError(f"A lead source named {clash['name']!r} already exists.", field="name")
    own = {"utm_source": clash["own_source"], "utm_medium": clash["own_medium"]}
    own["utm_campaign"] = clash["own_campaign"]
    rule = [values.get(f) if creating or f in values else own[f] for f in UTM]
    shown = ", ".join(f"{k}={v}" for k, v in zip(UTM, rule, strict=True) if v)
    name = values.get("name") or clash["own_name"] or "this source"
    return ConflictError(
        f"{name!r} and {clash['name']!r} cannot both claim the UTM rule {shown}: "
        "a touch maps to one source only.",
        field="utm_source",
    )


def _hand_over(db: Warehouse, change: Change, written: list[dict[str, Any]]) -> None:
    """Tell caches which rows an update changed and how they are now (their lead counts are
    the caches' own: no registry write changes one)."""
    change.rows = {int(r["id"]): Uncounted.of(r) for r in written}
    change.keys = set(change.rows)


def _unchanged(change: Change) -> None:
    """A refused write: caches keep every answer."""
    change.keys, change.rows = set(), {}


def create_source(wh: Warehouse, *, fields: SourceUpdate, auto_created: bool = False) -> int:
    """Add a source; returns its id. ConflictError on a duplicate name or claimed UTM rule."""
    values = fields.given()
    params = {
        "name": values["name"],
        "name_key": values["name"].lower(),
        "channel": values.get("channel") or "Unassigned",
        **{f: values.get(f) for f in UTM},
        "active": values.get("active", True) is not False,
        "auto_created": auto_created,
        "now": clock.utc_now(),
        "has_rule": any(values.get(f) for f in UTM),
        **_rule(values),
    }

    def job(db: Warehouse, change: Change) -> int:
        written = db.records("registry/insert_source", params)
        if not written:
            _unchanged(change)
            raise _find_clash(db, values, None) or ConflictError(CONCURRENT)
        # A new id has no leads: ids come from a sequence, ingest refuses a source_id the
        # registry does not hold, and a source that leads name cannot be deleted.
        new = SourceRow.written(written[0], 0)
        change.keys, change.rows = {new.id}, {new.id: new}
        return new.id

    rule = (params["rule_source"], params["rule_medium"], params["rule_campaign"])
    claims = {("name", params["name_key"])} | ({("rule", rule)} if params["has_rule"] else set())
    together = Combine(_create_many, (params, values), frozenset(claims), _create_many)
    return wh.batched(REGISTRY, job, together)


def _create_many(
    db: Warehouse, parts: list[tuple[dict[str, Any], dict[str, Any]]], changes: list[Change]
) -> list[int | AttributionError]:
    """Creates queued together, in one statement (their names and rules differ: Combine's
    claims); each create's new id, or its refusal."""
    lists = {key: [params[key] for params, _ in parts] for key in parts[0][0]}
    written = {r["name_key"]: r for r in db.records("registry/insert_sources", lists)}
    outcomes: list[int | AttributionError] = []
    for (params, values), change in zip(parts, changes, strict=True):
        row = written.get(params["name_key"])
        if row is None:
            _unchanged(change)
            outcomes.append(_find_clash(db, values, None) or ConflictError(CONCURRENT))
            continue
        new = SourceRow.written(row, 0)  # a new id has no leads (see create_source)
        change.keys, change.rows = {new.id}, {new.id: new}
        outcomes.append(new.id)
    return outcomes


EDITABLE = ("name", "channel", *UTM, "active")  # the columns an update may assign


@cache
def _update_sql(given: tuple[str, ...]) -> str:
    """sql/registry/update_source.sql assigning only the given columns (of EDITABLE)."""
    columns = [*given, "name_key"] if "name" in given else list(given)
    assignments = ", ".join(f"{quote_ident(c)} = ${c}" for c in columns)
    changed = " OR ".join(f"s.{quote_ident(c)} IS DISTINCT FROM ${c}" for c in given)
    return fill("registry/update_source", assignments=assignments, changed=changed)


def update_source(wh: Warehouse, *, source_id: int, fields: SourceUpdate) -> bool:
    """Change the given fields; False when no such source. Unchanged values are fine."""
    values = fields.given()
    if not 0 < source_id <= ID_MAX:
        return False
    given = tuple(f for f in EDITABLE if f in values)
    if not given:
        return source_row(wh, source_id=source_id) is not None
    params: dict[str, Any] = {"id": source_id, "now": clock.utc_now()}
    params.update({f: values[f] for f in given})
    if "channel" in values:
        params["channel"] = values["channel"] or "Unassigned"
    if "name" in values:
        params["name_key"] = values["name"].lower() if values["name"] else None
    sql = _update_sql(given)

    def job(db: Warehouse, change: Change) -> bool:
        if any(k in values for k in ("name", *UTM)):
            clash = _find_clash(db, values, source_id)
            if clash is not None:
                _unchanged(change)
                raise clash
        written = db.records_text(sql, params, name="registry/update_source")
        if not written:
            _unchanged(change)
            return False
        _hand_over(db, change, written)
        return True

    together = None
    if set(given) <= UNCHECKED:  # nothing to check: like changes may share a statement
        together = Combine(("update", given), params, frozenset({source_id}), _update_many)
    return wh.batched(REGISTRY, job, together)


UNCHECKED = {"channel", "active"}  # fields no uniqueness check reads


@cache
def _update_many_sql(given: tuple[str, ...]) -> str:
    """sql/registry/update_sources.sql assigning the given columns (of UNCHECKED)."""
    return fill(
        "registry/update_sources",
        columns="".join(f", unnest(${c}) AS {quote_ident(c)}" for c in given),
        assignments=", ".join(f"{quote_ident(c)} = u.{quote_ident(c)}" for c in given),
        changed=" OR ".join(
            f"s.{quote_ident(c)} IS DISTINCT FROM u.{quote_ident(c)}" for c in given
        ),
    )


def _update_many(db: Warehouse, parts: list[dict[str, Any]], changes: list[Change]) -> list[bool]:
    """Changes of the same fields (of UNCHECKED) of different sources queued together, in one
    statement; for each, whether its source exists."""
    given = tuple(f for f in EDITABLE if f in parts[0] and f in UNCHECKED)
    lists = {"ids": [p["id"] for p in parts], "now": [p["now"] for p in parts]}
    lists |= {f: [p[f] for p in parts] for f in given}
    sql = _update_many_sql(given)
    written = {int(r["id"]): r for r in db.records_text(sql, lists, name="registry/update_sources")}
    found: list[bool] = []
    for params, change in zip(parts, changes, strict=True):
        row = written.get(params["id"])
        if row is None:
            _unchanged(change)
        else:
            _hand_over(db, change, [row])
        found.append(row is not None)
    return found


def _usage(db: Warehouse, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows = db.records("registry/source_usage", {"ids": list(ids)})
    return {int(r["id"]): r for r in rows}


def usage(wh: Warehouse, *, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """For each existing id: how many leads, touches and spend rows name it."""
    rows = _usage(wh.reader(), ids)
    return {i: {k: int(r[k]) for k in ("leads", "touches", "spend")} for i, r in rows.items()}


def _refusal(counts: dict[str, Any], is_default: bool) -> str | None:
    """Why a source cannot be deleted, in the contract's words when leads name it."""
    if is_default:
        return "The lead source is the configured default source and cannot be deleted."
    if counts["leads"]:
        return f"The lead source is in use by {counts['leads']} leads and cannot be deleted."
    others = [f"{counts[k]} {k} rows" for k in ("touches", "spend") if counts[k]]
    if others:
        return f"The lead source is in use by {' and '.join(others)} and cannot be deleted."
    return None


def _is_default(row: dict[str, Any], default_source: str) -> bool:
    return bool(default_source) and row["name_key"] == default_source.lower()


def delete_source(wh: Warehouse, *, source_id: int, default_source: str = "") -> bool:
    """Delete an unused source; False when none. InUseError while data still names it."""
    if not 0 < source_id <= ID_MAX:
        return False
    default_key = default_source.lower() if default_source else None
    params = {"id": source_id, "default_key": default_key}

    def job(db: Warehouse, change: Change) -> bool:
        if db.scalar("registry/delete_source", params) is not None:
            change.keys, change.rows = {source_id}, {source_id: None}
            return True
        _unchanged(change)
        row = _usage(db, [source_id]).get(source_id)
        if row is None:
            return False
        counts = {k: int(row[k]) for k in ("leads", "touches", "spend")}
        reason = _refusal(counts, _is_default(row, default_source))
        raise InUseError(reason, usage=counts) if reason else ConflictError(CONCURRENT)

    return wh.batched(REGISTRY, job)


def bulk_action(
    wh: Warehouse,
    *,
    action: str,
    ids: Sequence[int],
    channel: str | None = None,
    default_source: str = "",
) -> int:
    """Apply one action to every id in one statement, or refuse all with a reason per id."""
    if action not in BULK_ACTIONS:
        raise AttributionError(f"action must be one of: {', '.join(BULK_ACTIONS)}")
    if action == "set_channel" and not (channel or "").strip():
        raise AttributionError("set_channel needs a non-empty channel")
    if not ids:
        raise AttributionError("ids must list at least one lead source id")
    unique = sorted({i for i in ids if 0 < i <= ID_MAX})
    missing = {str(i): "No such lead source." for i in ids if not 0 < i <= ID_MAX}

    def job(db: Warehouse, change: Change) -> int:
        if action == "delete":
            rows = _usage(db, unique)
            found = sorted(rows)
            refused = {str(i): _refusal(r, _is_default(r, default_source)) for i, r in rows.items()}
        else:
            found = [int(r[0]) for r in db.fetchall("registry/existing_ids", {"ids": unique})]
            refused = {}
        reasons = {str(i): "No such lead source." for i in unique if i not in set(found)}
        reasons |= missing | {i: r for i, r in refused.items() if r}
        if reasons:
            _unchanged(change)
            raise BulkRefusedError(reasons)
        now = clock.utc_now()
        if action == "delete":
            db.execute("registry/delete_sources", {"ids": found})
            change.keys, change.rows = set(found), dict.fromkeys(found)
        elif action == "set_channel":
            params = {"ids": found, "channel": (channel or "").strip(), "now": now}
            _hand_over(db, change, db.records("registry/set_channel", params))
        else:
            params = {"ids": found, "active": action == "activate", "now": now}
            _hand_over(db, change, db.records("registry/set_active", params))
        return len(found)

    return wh.batched(REGISTRY, job)


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
