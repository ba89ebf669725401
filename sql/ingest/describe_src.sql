-- The columns of the file being ingested. Grain: one row per column. Params: none.
SELECT column_name, column_type FROM (DESCRIBE ingest_src)
