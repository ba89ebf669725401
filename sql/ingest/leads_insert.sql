-- Adds the file's good leads the warehouse does not hold yet (repeats within the file were
-- dropped before), each numbered once and for good: lead_no is the batch in the high 32 bits,
-- the file's row in the low ones (migration 0016).
-- Reads ingest_valid. Params: $batch_id. Returns the count inserted.
INSERT INTO leads
SELECT
    v.lead_id, v.created_at, v.source_id, v.utm_source, v.utm_medium, v.utm_campaign, v.status,
    v.email_sha256, v.converted_at, v.value, v.lost, v.junk, $batch_id, v.row_number,
    (CAST($batch_id AS BIGINT) << 32) + v.row_number
FROM ingest_valid AS v
WHERE v.reason IS NULL
  AND NOT EXISTS (SELECT 1 FROM leads AS l WHERE l.lead_id = v.lead_id)
