"""Tables that fit the terminal: every header and cell whole (wrapped at spaces, never cut with
"…"), numbers right-aligned; a table too wide for the terminal is printed in parts of columns,
each repeating the key columns."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

if TYPE_CHECKING:
    from rich.text import Text

    Cell = str | Text

FORMATS = ("table", "csv", "json")
GAP = 2  # spaces between two columns
FOLD = 20  # a free-text column is never narrower than this for a longer word (then folded)


@dataclass(frozen=True)
class Column:
    """A column's header and kind: numbers are right-aligned, free text may wrap."""

    header: str
    numeric: bool = False
    wrap: bool = False


def number(value: float | Decimal) -> str:
    """A number for reading: floats without binary noise, to 6 significant digits but at least
    2 decimals (3981.0400000000004 -> 3981.04, 0.5349206 -> 0.534921, 2.0 -> 2.0); decimals
    exact, without trailing zeros past the second decimal (12.500000 -> 12.50)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        whole, dot, decimals = f"{value:f}".partition(".")
        kept = decimals.rstrip("0").ljust(min(len(decimals), 2), "0")
        return whole + (dot + kept if kept else "")
    if not math.isfinite(value) or value == 0:
        return str(value)
    magnitude = math.floor(math.log10(abs(value)))
    if not -5 <= magnitude < 15:
        return f"{value:.6g}"
    text = f"{value:.{max(2, 5 - magnitude)}f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str, keep: str = "") -> str:
    """Text safe for a terminal: every control character (C0, DEL, C1) but those in `keep`
    shown escaped, e.g. ESC as \\x1b, so a name from the data cannot move the cursor,
    recolour the screen or hide what follows."""
    return _CONTROL.sub(lambda m: m[0] if m[0] in keep else f"\\x{ord(m[0]):02x}", text)


def _safe(cell: Cell) -> Text:
    """A cell as text for rich: control characters escaped (a line break kept: cells may hold
    several lines), and never read as rich markup."""
    from rich.text import Text

    if isinstance(cell, str):
        return Text(printable(cell, keep="\n"))
    if _CONTROL.search(cell.plain.replace("\n", "")):
        return Text(printable(cell.plain, keep="\n"), style=cell.style)
    return cell


Bounds = tuple[int, int, int]


def _bounds(column: Column, cells: list[str]) -> Bounds:
    """The column's narrowest width (no header word or cell cut), its width with no cell
    wrapped, and its width with the header on one line too."""
    from rich.cells import cell_len

    header = max((cell_len(word) for word in column.header.split()), default=0)
    lines = [cell_len(line) for cell in cells for line in cell.splitlines()]
    body = max([header, *lines])
    if column.wrap:
        words = [cell_len(word) for cell in cells for word in cell.split()]
        narrowest = max(header, min(max(words, default=0), FOLD))
    else:
        narrowest = body
    return narrowest, body, max(body, cell_len(column.header))


def _widths(bounds: list[Bounds], room: int) -> list[int]:
    """Widths that fill at most `room`: whole headers if all fit, else unwrapped cells and
    whole headers as room allows, else the narrowest and the spare room to the cells."""
    narrowest, body, whole = ([b[i] for b in bounds] for i in range(3))
    if sum(whole) <= room:
        return whole
    widths, upper = (body, whole) if sum(body) <= room else (narrowest, body)
    spare = room - sum(widths)
    # Whole columns first, the cheapest first (fewer wrapped cells); the rest shared out.
    for i in sorted(range(len(widths)), key=lambda i: upper[i] - widths[i]):
        if 0 < upper[i] - widths[i] <= spare:
            spare -= upper[i] - widths[i]
            widths[i] = upper[i]
    want = sum(upper) - sum(widths)
    if upper is whole or spare <= 0 or want == 0:  # a header wraps at a space as well in any width
        return widths
    return [low + (up - low) * spare // want for low, up in zip(widths, upper, strict=True)]


def _parts(bounds: list[Bounds], key: int, width: int) -> list[list[int]]:
    """Column indexes of each part: the key columns, then as many as fit at their narrowest."""
    keys = list(range(key))
    used = sum(bounds[i][0] for i in keys) + GAP * max(key - 1, 0)
    parts: list[list[int]] = []
    current: list[int] = []
    size = used
    for i in range(key, len(bounds)):
        need = bounds[i][0] + (GAP if key or current else 0)
        if current and size + need > width:
            parts.append(keys + current)
            current, size = [], used
            need = bounds[i][0] + (GAP if key else 0)
        current.append(i)
        size += need
    if current or not parts:
        parts.append(keys + current)
    return parts


def print_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    key: int = 1,
    title: str | None = None,
    whole: str | None = None,
) -> None:
    """Print the rows under the columns' headers within the terminal's width; in parts of
    columns (each with the first `key` columns) when it cannot fit, then `whole` on stderr:
    how to see the table whole."""
    from rich import box
    from rich.table import Table

    from attribution.cli.common import err, out

    cells = [[_safe(cell) for cell in row] for row in rows]
    plain = [[cell.plain for cell in row] for row in cells]
    bounds = [_bounds(col, [row[i] for row in plain]) for i, col in enumerate(columns)]
    width = out.width
    parts = _parts(bounds, key, width)
    for n, part in enumerate(parts):
        widths = _widths([bounds[i] for i in part], width - GAP * (len(part) - 1))
        table = Table(
            title=title if n == 0 else None,
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            collapse_padding=True,
        )
        for i, size in zip(part, widths, strict=True):
            justify: Literal["left", "right"] = "right" if columns[i].numeric else "left"
            table.add_column(columns[i].header, justify=justify, width=size, overflow="fold")
        for row in cells:
            table.add_row(*(row[i] for i in part))
        if n:
            out.print()
        out.print(table)
    if len(parts) > 1 and whole:
        note = f"(in {len(parts)} parts to fit {width} columns: {whole})"
        err.print(note, style="dim", highlight=False, markup=False)


def numeric(values: Sequence[Any]) -> bool:
    """Whether a column of values holds numbers only (NULLs aside)."""
    present = [v for v in values if v is not None]
    return bool(present) and all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in present
    )


def cell_text(value: Any) -> str:
    """A value in a CSV cell: NULL empty, floats in full (repr), the rest as str."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def jsonable(value: Any) -> Any:
    """A value JSON cannot hold as it is: Decimals as numbers, times as ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, UUID):
        return str(value)
    return str(value)


def dump(records: Sequence[Mapping[str, Any]], fmt: str, columns: Sequence[str]) -> str:
    """Records as CSV (a header row of `columns`) or JSON (an array of objects)."""
    if fmt == "json":
        return json.dumps([dict(r) for r in records], default=jsonable, indent=1) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([cell_text(r.get(c)) for c in columns] for r in records)
    return buffer.getvalue()
