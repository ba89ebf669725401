-- Whether the opened file is a published snapshot: the publisher writes snapshot_info into
-- every snapshot and the live warehouse has none. Grain: one row. Params: none.
SELECT count(*) AS found
FROM duckdb_tables()
WHERE schema_name = 'main' AND table_name = 'snapshot_info'
