"""The warehouse: the DuckDB connection and statements, snapshot, sandbox, backup."""
