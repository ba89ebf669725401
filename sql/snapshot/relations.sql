-- The tables and views of one attached database, tables first, each kind by name.
-- Grain: one row per relation. Params: $database (its name, e.g. snapshot_publish).
SELECT name, kind
FROM (
    SELECT table_name AS name, 'table' AS kind
    FROM duckdb_tables()
    WHERE database_name = $database AND schema_name = 'main'
    UNION ALL
    SELECT view_name AS name, 'view' AS kind
    FROM duckdb_views()
    WHERE database_name = $database AND schema_name = 'main' AND NOT internal
)
ORDER BY kind, name
