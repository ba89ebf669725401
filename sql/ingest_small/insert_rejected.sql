-- Quarantines the rows of a group of small uploads that failed validation, with their reason
-- and the row as read (ingest_small/read gives it, as ingest/stage_rejected does). Grain: one
-- row per rejected file row. Reads ingest_valid (the Arrow table of this connection: the
-- validated rows of the group, each with its batch_id). Params: none.
INSERT INTO rejected_rows (batch_id, row_number, reason, raw_row)
SELECT batch_id, row_number, reason, raw_row
FROM ingest_valid
WHERE reason IS NOT NULL
ORDER BY batch_id, row_number
