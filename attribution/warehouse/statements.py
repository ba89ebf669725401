"""The SQL statements of sql/, loaded by name, and the one way names and literals reach SQL
text: quoting, and filling a statement's {placeholders} with values already quoted."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import cache

from attribution.errors import NotFoundError, WarehouseError
from attribution.resources import SQL_DIR

__all__ = ["SQL_DIR", "fill", "inline", "quote_ident", "quote_literal", "statement"]


@cache
def statement(name: str) -> str:
    """The text of sql/NAME.sql; NotFoundError names what exists nearby."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        folder = path.parent
        known = sorted(p.stem for p in folder.glob("*.sql")) if folder.is_dir() else []
        raise NotFoundError(f"no SQL statement {name!r}; {folder.name}/ has: {', '.join(known)}")
    return path.read_text(encoding="utf-8")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB; the only way a name reaches SQL text."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A SQL string literal, for the statements that take no parameters (SET, EXPORT, IMPORT)."""
    if "\0" in text:
        raise WarehouseError(f"{text!r} contains a NUL character, which SQL text cannot hold")
    return "'" + text.replace("'", "''") + "'"


def fill(name: str, **quoted: str) -> str:
    """sql/NAME.sql with each {key} replaced by its value, which the caller has quoted (with
    quote_ident or quote_literal) or built from quoted parts; every key must be in the text."""
    text = statement(name)
    for key, value in quoted.items():
        placeholder = "{" + key + "}"
        if placeholder not in text:
            raise WarehouseError(f"sql/{name}.sql has no {placeholder} to fill")
        text = text.replace(placeholder, value)
    return text


# A string literal, a quoted identifier, a comment, or a $parameter: only the last is replaced.
_TOKENS = re.compile(
    r"'(?:[^']|'')*'" r'|"(?:[^"]|"")*"' r"|--[^\n]*|/\*.*?\*/" r"|\$([A-Za-z_]\w*)", re.S
)


def duckdb_literal(value: object) -> str:
    """A typed DuckDB literal of a parameter's value (None, bool, int, float, str, datetime,
    date or timedelta), for the statements DuckDB cannot prepare."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"CAST({value} AS BIGINT)" if value < 0 else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise WarehouseError(f"{value} cannot be a SQL literal")
        return f"CAST({value!r} AS DOUBLE)"
    if isinstance(value, str):
        return quote_literal(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise WarehouseError("timestamps are plain UTC here: drop the time zone first")
        return f"TIMESTAMP '{value.isoformat(sep=' ', timespec='microseconds')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, timedelta):
        micros = round(value.total_seconds() * 1_000_000)
        return f"to_microseconds(CAST({micros} AS BIGINT))"
    raise WarehouseError(f"no SQL literal for a {type(value).__name__}")


def inline(name: str, params: Mapping[str, object] | None = None) -> str:
    """sql/NAME.sql with every $parameter replaced by its DuckDB literal (a view cannot be
    prepared) and without its comments; strings and quoted names are left as they are."""
    given = dict(params or {})

    def literal(match: re.Match[str]) -> str:
        key = match.group(1)
        if key is None:  # comments go: DuckDB's client reads a quote in one as a string
            return " " if match.group(0).startswith(("--", "/*")) else match.group(0)
        if key not in given:
            raise WarehouseError(f"sql/{name}.sql needs the parameter ${key}")
        return duckdb_literal(given[key])

    return _TOKENS.sub(literal, statement(name))
