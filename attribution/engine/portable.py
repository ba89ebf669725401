"""Portable SQL: one file in sql/, run on DuckDB or on Spark after transpiling with sqlglot.

A statement's $parameters become typed literals (DuckDB cannot prepare a view; Spark takes no
DuckDB placeholders), then sqlglot writes the statement for the engine. sqlglot passes unknown
functions through and mistranslates some constructs without a warning, so `problems` checks a
statement against the rules of "Portable SQL" (docs/spark.md): every function must be one
Spark knows, and DuckDB-only constructs are refused. The tests run every model statement on
both engines and compare the answers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import cache
from typing import Final, Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from attribution.errors import AttributionError, first_line
from attribution.warehouse.statements import SQL_DIR, statement

Dialect = Literal["duckdb", "spark"]

# The statements the Spark engine runs: the channel mapping, the journeys, the models and the
# per-run rows it brings back (the tests check that each transpiles and passes `problems`).
PORTABLE: Final = (
    "channels/touch_rows",
    "journeys/mapping_keys",
    "journeys/key_channels",
    "journeys/run_channels",
    "channels/map_touches",
    "journeys/channel_names",
    "journeys/conversions",
    "journeys/journey_touches",
    "journeys/window_stats",
    "journeys/converting_rows",
    "runs/insert_lead_days",
    "runs/insert_spend_days",
    *(f"models/{p.stem}" for p in sorted((SQL_DIR / "models").glob("*.sql"))),
)

# Functions sqlglot leaves as written that have another name on Spark (same meaning).
_RENAMES: Final = {"spark": {"EPOCH_US": "UNIX_MICROS"}}
# Functions sqlglot does not model that both engines have, under the Spark name.
_KNOWN_ANONYMOUS: Final = frozenset({"UNIX_MICROS"})
# Relations a statement joins (by alias) that are a few rows but that Spark cannot size before
# it runs (aggregates over the touches): hinted to be broadcast on Spark, so the touches are not
# shuffled to meet them. Comments do not survive transpiling, so hints are set here.
_BROADCAST: Final[dict[str, frozenset[str]]] = {
    # the mapping keys with their channels (a few dozen rows), which every touch joins
    "channels/map_touches": frozenset({"k"}),
    # and which each conversion's and each lead's creation joins
    "journeys/conversions": frozenset({"k"}),
    "runs/insert_lead_days": frozenset({"k", "rc"}),
}
# The side of a large join (by alias, in FROM or JOIN) to build a hash table of, per shuffle
# partition, on Spark: the join's rows are then not sorted to meet (Spark's statistics cannot
# tell that the journeys, a join of leads and conversions, are the smaller side).
_SHUFFLE_HASH: Final[dict[str, frozenset[str]]] = {
    # every lead's journeys, which the touches meet on lead_no; the windows sort afterwards
    "journeys/journey_touches": frozenset({"j"}),
}
# Constructs whose results differ between the engines or that Spark lacks (stack notes).
_REFUSED: Final[dict[type[exp.Expr], str]] = {
    exp.DateDiff: "date_diff differs between the engines: subtract epoch_us() values",
    exp.TimeToUnix: "epoch() differs between the engines: use epoch_us()",
    exp.PercentileCont: "percentile_cont is approximate on Spark",
    exp.PercentileDisc: "percentile_disc is approximate on Spark",
    exp.Quantile: "quantiles are approximate on Spark",
    exp.Columns: "COLUMNS() is DuckDB only",
    exp.Pivot: "PIVOT is DuckDB only",
    exp.ReadCSV: "read files through registered tables, not read_csv",
}


@cache
def _parsed(name: str) -> exp.Expr:
    try:
        tree = sqlglot.parse_one(statement(name), read="duckdb")
    except SqlglotError as exc:
        raise AttributionError(f"sql/{name}.sql does not parse as DuckDB SQL: {exc}") from None
    return tree


def literal(value: object) -> exp.Expr:
    """A typed SQL literal that means the same on both engines."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AttributionError(f"{value} cannot be a SQL literal")
        text = repr(value)
        # An exponent makes it a DOUBLE on both engines (a plain 0.4 is a DECIMAL on Spark).
        return exp.Literal.number(text if "e" in text else f"{text}e0")
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise AttributionError("timestamps are plain UTC here: drop the time zone first")
        text = value.isoformat(sep=" ", timespec="microseconds")
        return exp.cast(exp.Literal.string(text), exp.DataType.build("TIMESTAMP"))
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, timedelta):
        micros = round(value.total_seconds() * 1_000_000)
        seconds = f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
        return exp.Interval(this=exp.Literal.string(seconds), unit=exp.var("SECOND"))
    raise AttributionError(f"no SQL literal for a {type(value).__name__}")


def _bound(name: str, params: Mapping[str, object] | None) -> exp.Expr:
    """The statement's tree with every $parameter replaced by its literal."""
    given = dict(params or {})
    tree = _parsed(name).copy()
    for holder in list(tree.find_all(exp.Placeholder)):
        key = str(holder.this or "")
        if key not in given:
            raise AttributionError(f"sql/{name}.sql needs the parameter ${key}")
        holder.replace(literal(given[key]))
    return tree


def _for(tree: exp.Expr, dialect: Dialect, name: str = "") -> exp.Expr:
    renames = _RENAMES.get(dialect, {})
    if renames:
        for call in tree.find_all(exp.Anonymous):
            new = renames.get(str(call.this).upper())
            if new:
                call.set("this", new)
    if dialect == "spark":
        _hint(tree, _BROADCAST.get(name, frozenset()), _SHUFFLE_HASH.get(name, frozenset()))
    return tree


def _hint(tree: exp.Expr, small: frozenset[str], build: frozenset[str]) -> None:
    """On each SELECT: a BROADCAST hint for the small relations it joins, a SHUFFLE_HASH hint
    for the build sides it reads (by alias)."""
    if not small and not build:
        return
    for select in tree.find_all(exp.Select):
        joined = {join.this.alias_or_name for join in select.args.get("joins") or []}
        source = select.args.get("from_") or select.args.get("from")
        read = joined | ({source.this.alias_or_name} if source is not None else set())
        calls = [
            exp.Anonymous(this=hint, expressions=[exp.to_identifier(n) for n in names])
            for hint, names in (
                ("BROADCAST", sorted(joined & small)),
                ("SHUFFLE_HASH", sorted(read & build)),
            )
            if names
        ]
        if calls:
            select.set("hint", exp.Hint(expressions=calls))


def render(name: str, dialect: Dialect, params: Mapping[str, object] | None = None) -> str:
    """sql/NAME.sql for the engine, with its parameters as literals."""
    tree = _for(_bound(name, params), dialect, name)
    return tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE, comments=False)


def render_text(sql: str, dialect: Dialect) -> str:
    """A DuckDB statement without parameters, written for the engine."""
    tree = _for(sqlglot.parse_one(sql, read="duckdb"), dialect)
    return tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE, comments=False)


def parts(
    name: str, dialect: Dialect, params: Mapping[str, object] | None = None
) -> tuple[str, str, str]:
    """(kind, target, query) of a statement: kind is 'select', 'table' or 'view' (CREATE ...
    AS query) or 'insert' (INSERT INTO target query); query is written for the engine."""
    tree = _for(_bound(name, params), dialect, name)

    def sql(node: exp.Expr) -> str:
        return node.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE, comments=False)

    if isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):
        kind = str(tree.args.get("kind") or "").lower()
        target = tree.this.find(exp.Table)
        if kind in ("table", "view") and target is not None:
            return kind, target.name, sql(tree.expression)
    if isinstance(tree, exp.Insert) and isinstance(tree.expression, exp.Query):
        target = tree.this.find(exp.Table)
        if target is not None:
            return "insert", target.name, sql(tree.expression)
    if isinstance(tree, exp.Query):
        return "select", "", sql(tree)
    raise AttributionError(f"sql/{name}.sql is not a query, CREATE ... AS or INSERT ... query")


def insert_target(name: str) -> tuple[str, list[str]]:
    """The table an INSERT statement fills and its column list (empty: all, in order)."""
    tree = _parsed(name)
    if not isinstance(tree, exp.Insert):
        raise AttributionError(f"sql/{name}.sql is not an INSERT statement")
    target = tree.this.find(exp.Table)
    if target is None:
        raise AttributionError(f"sql/{name}.sql names no table")
    columns = [c.name for c in tree.this.expressions] if isinstance(tree.this, exp.Schema) else []
    return target.name, columns


def problems(name: str) -> list[str]:
    """What keeps sql/NAME.sql from meaning the same on Spark: empty when it is portable."""
    return problems_in(statement(name))


def problems_in(sql: str) -> list[str]:
    """What keeps a DuckDB statement from meaning the same on Spark: empty when portable."""
    found: list[str] = []
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
        bound = tree.copy()
        for holder in list(bound.find_all(exp.Placeholder)):
            holder.replace(exp.Null())
        spark_sql = _for(bound, "spark").sql(
            dialect="spark", unsupported_level=ErrorLevel.RAISE, comments=False
        )
        spark_tree = sqlglot.parse_one(spark_sql, read="spark")
    except SqlglotError as exc:
        return [f"does not transpile to Spark: {first_line(exc)}"]
    if not isinstance(tree, exp.Query | exp.Create | exp.Insert):
        return ["is not a query, CREATE ... AS query or INSERT ... query"]
    for kind, why in _REFUSED.items():
        if tree.find(kind) is not None:
            found.append(why)
    if tree.find(exp.IntDiv) is not None:
        found.append("integer division (//) differs: write fractions as 1.0e0 * a / b")
    for star in tree.find_all(exp.Star):
        if star.args.get("except") or star.args.get("except_") or star.args.get("replace"):
            found.append("* EXCLUDE / * REPLACE are DuckDB only: list the columns")
    for index in tree.find_all(exp.Bracket):
        if any(isinstance(e, exp.Neg) for e in index.expressions):
            found.append("negative list indexes are DuckDB only: use positive ones")
    for agg in tree.find_all(exp.ArrayAgg):
        if agg.find(exp.Order) is not None:
            found.append("list(x ORDER BY ...) loses its order on Spark: use string_agg")
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or "." in table.name:
            found.append(f"reads a file ({table.sql('duckdb')}): refer to tables by name")
    for call in spark_tree.find_all(exp.Anonymous):
        if str(call.this).upper() not in _KNOWN_ANONYMOUS:
            found.append(f"function {call.this}() is not known to be on Spark")
    for div in tree.find_all(exp.Div):
        if div.args.get("typed") or div.args.get("safe"):
            continue
        if not _double(div.this):
            found.append(f"division {div.sql('duckdb')}: write fractions as 1.0e0 * a / b")
    return found


def _double(node: exp.Expr) -> bool:
    """Whether an expression is a DOUBLE by construction: a literal with an exponent, or a
    product or quotient led by one (so that no division is integer or decimal division)."""
    if isinstance(node, exp.Paren | exp.Neg):
        return _double(node.this)
    if isinstance(node, exp.Literal):
        return not node.is_string and "e" in node.name.lower()
    if isinstance(node, exp.Mul):
        return _double(node.this) or _double(node.expression)
    if isinstance(node, exp.Div):
        return _double(node.this)
    return False
