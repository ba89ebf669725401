-- The latest ingest batches, newest first. Grain: one row per batch. Params: $limit.
SELECT batch_id, kind, file_name, file_format, rows_read, rows_loaded, rows_updated,
       rows_duplicate, rows_rejected, sources_created, started_at, finished_at, status
FROM ingest_batches
ORDER BY batch_id DESC
LIMIT $limit
