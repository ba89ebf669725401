-- Removes stored spend rows whose key (date, source, channel, campaign) the file's good rows
-- give a different amount or currency: the file's row replaces them. Reads ingest_valid.
-- Params: none. Returns the count removed.
DELETE FROM spend
WHERE EXISTS (
    SELECT 1 FROM ingest_valid AS v
    WHERE v.reason IS NULL
      AND v.spend_date = spend.spend_date
      AND v.source_id IS NOT DISTINCT FROM spend.source_id
      AND v.channel IS NOT DISTINCT FROM spend.channel
      AND v.campaign = spend.campaign
      AND (v.amount <> spend.amount OR v.currency <> spend.currency
           OR v.amount_original <> spend.amount_original)
)
