-- Adds the file's good touches the warehouse does not hold yet (repeats within the file were dropped before).
-- Reads ingest_valid. Params: $batch_id. Returns the count inserted.
INSERT INTO touches
SELECT
    v.natural_key, v.touch_id, v.lead_id, v.occurred_at, v.channel, v.source_id,
    v.utm_source, v.utm_medium, v.utm_campaign, $batch_id, v.row_number, v.lead_no
FROM ingest_valid AS v
WHERE v.reason IS NULL
  AND NOT EXISTS (SELECT 1 FROM touches AS t WHERE t.touch_key = v.natural_key)
