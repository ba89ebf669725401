-- Adds the file's good spend rows whose key the warehouse does not hold (after spend_replace
-- removed the ones they change). Reads ingest_valid. Params: $batch_id. Returns the count.
INSERT INTO spend
SELECT
    v.spend_date, v.source_id, v.channel, v.campaign, v.amount, v.currency, v.amount_original,
    $batch_id, v.row_number
FROM ingest_valid AS v
WHERE v.reason IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM spend AS s
      WHERE s.spend_date = v.spend_date
        AND s.source_id IS NOT DISTINCT FROM v.source_id
        AND s.channel IS NOT DISTINCT FROM v.channel
        AND s.campaign = v.campaign
  )
