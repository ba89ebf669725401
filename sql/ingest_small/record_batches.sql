-- The batch records of a group of small uploads, written once with their counts after their
-- rows (the ids came from ingest_small/next_batch_ids): the records ingest/start_batch and
-- finish_batch leave. Grain: one row per batch. Reads ingest_records (the Arrow table of this
-- connection, one row per batch, these columns). Params: none.
INSERT INTO ingest_batches
    (batch_id, kind, file_name, file_format, sha256, rows_read, rows_loaded, rows_updated,
     rows_duplicate, rows_rejected, sources_created, extra_columns, column_map, started_at,
     finished_at, status)
SELECT
    batch_id, kind, file_name, file_format, sha256, rows_read, rows_loaded, rows_updated,
    rows_duplicate, rows_rejected, 0, extra_columns, column_map, started_at, finished_at,
    'loaded'
FROM ingest_records
ORDER BY batch_id
