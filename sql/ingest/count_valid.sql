-- Rows of the file read, and rows rejected. Grain: one row. Reads ingest_valid. Params: none.
SELECT count(*) AS rows_read, count(reason) AS rows_rejected FROM ingest_valid
