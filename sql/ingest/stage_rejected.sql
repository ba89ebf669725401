-- The rows of the file that failed validation, with their reason and the row as read: made
-- on the ingest's cursor when it validates (before the write lock), quarantined under the lock
-- by insert_rejected.
-- Grain: one row per rejected file row. Reads ingest_valid, ingest_src. Params: none.
CREATE OR REPLACE TEMP TABLE ingest_rejected AS
SELECT v.row_number, v.reason, CAST(json_remove(to_json(s), '$._ingest_row') AS VARCHAR) AS raw_row
FROM ingest_valid AS v
JOIN ingest_src AS s ON s._ingest_row = v.row_number
WHERE v.reason IS NOT NULL
