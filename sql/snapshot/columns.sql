-- The columns of one table or view of an attached database, in order, with their types.
-- Grain: one row per column. Params: $database, $relation (table or view name).
SELECT column_name, data_type
FROM duckdb_columns()
WHERE database_name = $database AND schema_name = 'main' AND table_name = $relation
ORDER BY column_index
