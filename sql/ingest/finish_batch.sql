-- Closes a batch record with its counts. Params: $batch_id, $rows_read, $rows_loaded,
-- $rows_updated, $rows_duplicate, $rows_rejected, $sources_created, $finished_at.
UPDATE ingest_batches SET
    rows_read = $rows_read,
    rows_loaded = $rows_loaded,
    rows_updated = $rows_updated,
    rows_duplicate = $rows_duplicate,
    rows_rejected = $rows_rejected,
    sources_created = $sources_created,
    finished_at = $finished_at,
    status = 'loaded'
WHERE batch_id = $batch_id
