-- The tables of one attached database, each with its schema. Grain: one row per table.
-- Params: $database (its name).
SELECT schema_name, table_name
FROM duckdb_tables()
WHERE database_name = $database AND NOT temporary
ORDER BY schema_name, table_name
