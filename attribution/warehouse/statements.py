"""The SQL statements of sql/, loaded by name, and the one way names and literals reach SQL
text: quoting, and filling a statement's {placeholders} with values already quoted."""

from __future__ import annotations

from functools import cache

from attribution.errors import NotFoundError, WarehouseError
from attribution.resources import SQL_DIR

__all__ = ["SQL_DIR", "fill", "quote_ident", "quote_literal", "statement"]


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
