-- The columns of the file just read into ingest_file. Grain: one row per column. Params: none.
SELECT column_name FROM (DESCRIBE ingest_file)
