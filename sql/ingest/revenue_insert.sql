-- Adds the file's good revenue events the warehouse does not hold yet (repeats within the
-- file were dropped before). Reads ingest_valid. Params: $batch_id. Returns the count inserted.
INSERT INTO revenue_events
SELECT
    v.event_id, v.lead_id, v.occurred_at, v.amount, v.kind, v.currency, v.amount_original,
    $batch_id, v.row_number, v.lead_no
FROM ingest_valid AS v
WHERE v.reason IS NULL
  AND NOT EXISTS (SELECT 1 FROM revenue_events AS e WHERE e.event_id = v.event_id)
