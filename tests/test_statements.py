"""Statements with their parameters as DuckDB literals (views cannot be prepared)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from attribution.errors import WarehouseError
from attribution.warehouse import statements
from attribution.warehouse.statements import duckdb_literal, inline


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -7,
        2**40,
        0.1,
        -2.5e-300,
        "it's $x -- not a comment",
        datetime(2026, 3, 1, 8, 30, 0, 123456),
        date(2026, 3, 1),
        timedelta(days=30, microseconds=5),
    ],
    ids=repr,
)
def test_a_literal_means_its_value(value: object) -> None:
    got = duckdb.connect().execute(f"SELECT {duckdb_literal(value)}").fetchall()[0][0]
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object()], ids=repr)
def test_no_literal_for_what_sql_cannot_hold(value: object) -> None:
    with pytest.raises(WarehouseError):
        duckdb_literal(value)


def test_only_parameters_are_replaced_and_comments_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "q.sql").write_text(
        "-- a lead's $a: not this one\n"
        "SELECT $a AS a, '$a ''quoted''' AS s, \"$a\" AS \"$b\" /* $b, it's */, $b AS b\n"
        'FROM (SELECT 1 AS "$a")\n'
    )
    monkeypatch.setattr(statements, "SQL_DIR", tmp_path)
    statements.statement.cache_clear()
    try:
        text = inline("t/q", {"a": 5, "b": "x"})
        assert "--" not in text and "/*" not in text
        row = duckdb.connect().execute(text).fetchall()
        assert row == [(5, "$a 'quoted'", 1, "x")]
        with pytest.raises(WarehouseError, match=r"needs the parameter \$b"):
            inline("t/q", {"a": 5})
    finally:
        statements.statement.cache_clear()
