-- Columns whose default draws from a sequence (DEFAULT nextval('seq')), with the value that
-- sequence gives next. Grain: one row per such column. Params: $database.
SELECT
    c.table_name,
    c.column_name,
    s.sequence_name,
    CASE
        WHEN s.last_value IS NULL THEN s.start_value
        ELSE s.last_value + s.increment_by
    END AS next_value
FROM duckdb_columns() AS c
JOIN duckdb_sequences() AS s
    ON s.database_name = c.database_name
    AND s.schema_name = c.schema_name
    AND c.column_default = 'nextval(''' || s.sequence_name || ''')'
WHERE c.database_name = $database
ORDER BY c.table_name, c.column_name
