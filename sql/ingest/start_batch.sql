-- Opens a batch record and returns its id. Grain: one row.
-- Params: $kind, $file_name, $file_format, $sha256, $extra_columns, $column_map, $started_at.
INSERT INTO ingest_batches
    (kind, file_name, file_format, sha256, extra_columns, column_map, started_at, status)
VALUES
    ($kind, $file_name, $file_format, $sha256, $extra_columns, $column_map, $started_at, 'loading')
RETURNING batch_id
