-- Quarantines the rows of the file that failed validation (ingest/stage_rejected made them).
-- Grain: one row per rejected file row. Reads ingest_rejected. Params: $batch_id.
INSERT INTO rejected_rows (batch_id, row_number, reason, raw_row)
SELECT $batch_id, r.row_number, r.reason, r.raw_row
FROM ingest_rejected AS r
ORDER BY r.row_number
