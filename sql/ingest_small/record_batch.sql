-- A small upload's batch record, written once with its counts after its rows (the id came from
-- ingest_small/next_batch_id): the record ingest/start_batch and finish_batch leave.
-- Grain: one row. Params: $batch_id, $kind, $file_name, $file_format, $sha256, $extra_columns,
-- $column_map, $started_at, $rows_read, $rows_loaded, $rows_updated, $rows_duplicate,
-- $rows_rejected, $sources_created, $finished_at.
INSERT INTO ingest_batches
    (batch_id, kind, file_name, file_format, sha256, rows_read, rows_loaded, rows_updated,
     rows_duplicate, rows_rejected, sources_created, extra_columns, column_map, started_at,
     finished_at, status)
VALUES
    ($batch_id, $kind, $file_name, $file_format, $sha256, $rows_read, $rows_loaded,
     $rows_updated, $rows_duplicate, $rows_rejected, $sources_created, $extra_columns,
     $column_map, $started_at, $finished_at, 'loaded')
