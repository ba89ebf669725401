"""Lists of lead sources kept in memory and changed in place, row by row, as writes happen.

A list is one query's answer (filters and sort, any page): its rows as sql/registry/
list_sources.sql gives them, in the query's order. A write hands over the rows it changed, as
its statement returned them (with the lower-case texts the filters and sorts compare); apply()
moves each one to where the list statement would put it, or drops it, so a patched list equals
the list the statement would return now."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from attribution.errors import AttributionError
from attribution.registry.schemas import PageMeta, SourcePublic
from attribution.reporting.render import csv_cell

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
SortValue = str | int | bool | datetime
# The attribute of a SourceRow each sort key compares (the values SORT_KEYS' expressions give).
_SORT_FIELDS = {
    "name": "name_lower",
    "id": "id",
    "channel": "channel_lower",
    "lead_count": "lead_count",
    "active": "active",
    "created_at": "created_at",
    "updated_at": "updated_at",
}


def check_sort(sort: str) -> str:
    """The allow-listed sort key of `sort` ('-' for descending); AttributionError otherwise."""
    key = sort.removeprefix("-")
    if key not in SORT_KEYS:
        allowed = ", ".join(f"{k}, -{k}" for k in SORT_KEYS)
        raise AttributionError(f"sort must be one of: {allowed}")
    return key


def like_text(search: str | None) -> str | None:
    """The search text as the statement compares it: trimmed, lower-case; None for none."""
    return (search or "").strip().lower() or None


# A \u00XX escape, not an escaped backslash followed by "u00XX" text.
_CONTROL = re.compile(r"(?<!\\)((?:\\\\)*)\\u00([0-9a-f]{2})")


def record_json(row: Mapping[str, Any], lead_count: int) -> str:
    """The row as list_sources.sql's record: the same keys, order and text as DuckDB's to_json
    (compact, UTF-8 unescaped; its escapes of control characters have upper-case hex)."""
    text = json.dumps(
        {
            "id": str(row["id"]),
            "name": row["name"],
            "channel": row["channel"],
            "utm_source": row["utm_source"],
            "utm_medium": row["utm_medium"],
            "utm_campaign": row["utm_campaign"],
            "active": bool(row["active"]),
            "auto_created": bool(row["auto_created"]),
            "created_at": row["created_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "updated_at": row["updated_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lead_count": lead_count,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    if "\\u00" not in text:
        return text
    return _CONTROL.sub(lambda m: m[1] + "\\u00" + m[2].upper(), text)


@dataclass(frozen=True)
class SourceRow:
    """One row of list_sources.sql: the API's JSON record and what filters and sorts compare."""

    id: int
    record: bytes
    values: dict[str, Any]  # the row's columns, for the CSV export and the admin page
    name_lower: str
    channel_lower: str
    searched: tuple[str, ...]  # the lower-case texts a search looks in
    active: bool
    lead_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> SourceRow:
        lower = (row["name_lower"], row["channel_lower"])
        utm = (row["utm_source_lower"], row["utm_medium_lower"], row["utm_campaign_lower"])
        return cls(
            id=int(row["id"]),
            record=str(row["record"]).encode(),
            values=dict(row),
            name_lower=str(lower[0]),
            channel_lower=str(lower[1]),
            searched=tuple(str(t) for t in (*lower, *utm)),
            active=bool(row["active"]),
            lead_count=int(row["lead_count"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    @classmethod
    def written(cls, row: Mapping[str, Any], lead_count: int) -> SourceRow:
        """A row a write returned (its columns and lower-case texts) with its lead count."""
        return cls.of({**row, "lead_count": lead_count, "record": record_json(row, lead_count)})

    def public(self) -> SourcePublic:
        return SourcePublic.model_validate({**self.values, "id": str(self.id)})

    def sort_value(self, key: str) -> SortValue:
        value: SortValue = getattr(self, _SORT_FIELDS[key])
        return value


@dataclass
class Uncounted:
    """A row an update wrote, without its lead count: no registry write changes a lead count,
    so a view takes it from the row it holds (and drops itself if it holds none)."""

    probe: SourceRow  # the row with a lead count of 0: what filters compare, and its columns
    _counted: dict[int, SourceRow] = field(default_factory=dict)

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Uncounted:
        return cls(SourceRow.written(row, 0))

    def counted(self, lead_count: int) -> SourceRow:
        """The row with its lead count (made once per count, for every view that asks)."""
        if lead_count == 0:
            return self.probe
        made = self._counted.get(lead_count)
        if made is None:
            made = self._counted[lead_count] = SourceRow.written(self.probe.values, lead_count)
        return made


@dataclass(frozen=True)
class ListQuery:
    """The filters and sort of a list, as the API and the admin page take them."""

    search: str | None = None  # lower-case text, as like_text gives it
    channel: str | None = None  # lower-case
    active: bool | None = None
    sort: str = "name"

    @classmethod
    def of(
        cls, search: str | None, channel: str | None, active: bool | None, sort: str
    ) -> ListQuery:
        check_sort(sort)
        return cls(like_text(search), (channel or "").strip().lower() or None, active, sort)

    def matches(self, row: SourceRow) -> bool:
        """Whether the statement's WHERE keeps the row (LIKE '%text%' is containment)."""
        if self.active is not None and row.active != self.active:
            return False
        if self.channel is not None and row.channel_lower != self.channel:
            return False
        return self.search is None or any(self.search in text for text in row.searched)

    def order_key(self, row: SourceRow) -> tuple[SortValue, int]:
        """Ascending in the query's order, read backwards for a descending sort: ties by id."""
        key = check_sort(self.sort)
        if self.sort.startswith("-"):
            return row.sort_value(key), -row.id
        return row.sort_value(key), row.id


def page_numbers(page: int | None, per_page: int | None, total: int) -> PageMeta:
    """The page asked for (defaults and bounds of the API) with the list's total."""
    number = max(1, page or 1)
    size = min(PER_PAGE_MAX, max(1, per_page or 50))
    return PageMeta(
        page=number, per_page=size, total=total, total_pages=max(1, math.ceil(total / size))
    )


@dataclass
class SortedSources:
    """One query's rows in its order, patched in place by apply(); renders JSON and CSV."""

    query: ListQuery
    keys: list[tuple[SortValue, int]] = field(default_factory=list)
    rows: list[SourceRow] = field(default_factory=list)
    version: int = 0  # writes applied, so that a rendering begun before one is not kept
    _held: dict[int, SourceRow] = field(default_factory=dict)
    _rendered: dict[Any, bytes] = field(default_factory=dict)

    @classmethod
    def of(cls, query: ListQuery, rows: list[SourceRow]) -> SortedSources:
        kept = sorted((query.order_key(r), r) for r in rows if query.matches(r))
        listed = cls(query, [k for k, _ in kept], [r for _, r in kept])
        listed._held = {r.id: r for _, r in kept}
        return listed

    def __len__(self) -> int:
        return len(self.rows)

    def apply(self, changed: Mapping[int, object]) -> bool:
        """Put each changed row (None: deleted) where the query puts it; False when the list
        cannot follow (checked before anything moves): a change it cannot read, or an updated
        row entering the list with a lead count it never saw."""
        for source_id, row in changed.items():
            if isinstance(row, Uncounted):
                if source_id not in self._held and self.query.matches(row.probe):
                    return False
            elif row is not None and not isinstance(row, SourceRow):
                return False
        for source_id, row in changed.items():
            old = self._held.pop(source_id, None)
            if old is not None:
                at = bisect_left(self.keys, self.query.order_key(old))
                del self.keys[at], self.rows[at]
            if isinstance(row, Uncounted):
                row = row.counted(old.lead_count) if old is not None else None
            if isinstance(row, SourceRow) and self.query.matches(row):
                key = self.query.order_key(row)
                at = bisect_left(self.keys, key)
                self.keys.insert(at, key)
                self.rows.insert(at, row)
                self._held[source_id] = row
        self._rendered.clear()
        self.version += 1
        return True

    @property
    def watches(self) -> int | None:
        """Any row may enter or leave a list."""
        return None

    def depends(self, keys: frozenset[int]) -> bool:
        return True

    def count(self, page: int | None = None, per_page: int | None = None) -> int:
        """How many records json() gives for this page (all without one)."""
        if page is None and per_page is None:
            return len(self.rows)
        meta = page_numbers(page, per_page, len(self.rows))
        return max(0, min(meta.per_page, len(self.rows) - (meta.page - 1) * meta.per_page))

    def ordered(self) -> list[SourceRow]:
        return self.rows[::-1] if self.query.sort.startswith("-") else self.rows

    def json(self, page: int | None = None, per_page: int | None = None) -> bytes:
        """The API's answer: a JSON array, or with a page asked for, {"data", "meta"}."""
        wanted = (page, per_page)
        body = self._rendered.get(wanted)
        if body is None:
            rows = self.ordered()
            if page is None and per_page is None:
                body = b"[" + b",".join(r.record for r in rows) + b"]"
            else:
                meta = page_numbers(page, per_page, len(rows))
                first = (meta.page - 1) * meta.per_page
                data = b",".join(r.record for r in rows[first : first + meta.per_page])
                body = b'{"data":[' + data + b'],"meta":' + meta.model_dump_json().encode() + b"}"
            self._rendered[wanted] = body
        return body

    def csv(self) -> bytes | None:
        """The CSV export of the list as last rendered (keep_csv), or None."""
        return self._rendered.get("csv")

    def csv_rows(self) -> tuple[list[SourceRow], int]:
        """A copy of the rows in order, and the version it is of, to render elsewhere."""
        return list(self.ordered()), self.version

    def keep_csv(self, body: bytes, version: int) -> None:
        """Keep a CSV rendered from csv_rows() unless a write came since."""
        if version == self.version:
            self._rendered["csv"] = body


@dataclass
class OneSource:
    """One source's row, or None when there is no such source; patched like the lists."""

    id: int
    row: SourceRow | None

    def apply(self, changed: Mapping[int, object]) -> bool:
        if self.id not in changed:
            return True
        row = changed[self.id]
        if isinstance(row, Uncounted):
            if self.row is None:
                return False
            row = row.counted(self.row.lead_count)
        if row is not None and not isinstance(row, SourceRow):
            return False
        self.row = row
        return True

    @property
    def watches(self) -> int | None:
        return self.id

    def depends(self, keys: frozenset[int]) -> bool:
        return self.id in keys


def csv_bytes(rows: Sequence[SourceRow]) -> bytes:
    """The CSV export of these rows (see write_csv)."""
    buffer = io.StringIO()
    write_csv([r.public() for r in rows], buffer)
    return buffer.getvalue().encode()


def write_csv(items: Sequence[SourcePublic], out: TextIO) -> None:
    """Sources as CSV with a header; text a spreadsheet would run as a formula is defused."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    rows = [item.model_dump(mode="json") for item in items]
    writer.writerows([[csv_cell(row[c]) for c in CSV_COLUMNS] for row in rows])
