"""SQLAlchemy sessions on the warehouse's DuckDB connection (the registry's ORM). Imported only
when a session is first asked for: SQLAlchemy and duckdb-engine take about 0.2 s to import,
which commands that never touch the ORM (a run, an ingest) do not pay."""

from __future__ import annotations

import duckdb
import duckdb_engine
from duckdb_engine import ConnectionWrapper
from sqlalchemy import Engine, create_engine
from sqlalchemy.dialects import registry as dialects
from sqlalchemy.orm import Session, sessionmaker


class CachingDuckDBDialect(duckdb_engine.Dialect):
    """duckdb-engine with SQLAlchemy's compiled-statement cache on (it ships with it off, which
    costs a full SQL compilation, about 1.5 ms, on every registry query)."""

    supports_statement_cache = True


dialects.register("duckdb.attribution", __name__, "CachingDuckDBDialect")


def make_sessions(con: duckdb.DuckDBPyConnection) -> tuple[Engine, sessionmaker[Session]]:
    """An engine whose pooled connections are cursors of `con`, and its session maker."""
    engine = create_engine(
        "duckdb+attribution://",
        creator=lambda: ConnectionWrapper(con.cursor()),
        pool_size=8,
        max_overflow=32,
    )
    return engine, sessionmaker(engine, expire_on_commit=False)
