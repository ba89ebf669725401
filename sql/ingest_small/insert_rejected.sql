-- Quarantines a small upload's rows that failed validation, with their reason and the row as
-- read (as ingest/stage_rejected and ingest/insert_rejected do, in one statement under the
-- write lock). Grain: one row per rejected file row. Reads ingest_valid, ingest_src (this
-- cursor's). Params: $batch_id.
INSERT INTO rejected_rows (batch_id, row_number, reason, raw_row)
SELECT
    $batch_id,
    v.row_number,
    v.reason,
    CAST(json_remove(to_json(s), '$._ingest_row') AS VARCHAR)
FROM ingest_valid AS v
JOIN ingest_src AS s ON s._ingest_row = v.row_number
WHERE v.reason IS NOT NULL
ORDER BY v.row_number
