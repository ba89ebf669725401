-- Updates leads the warehouse already holds whose status, conversion, value, lost or junk flag
-- the file changes (a CRM re-export). Reads ingest_valid (good rows; repeats within the file dropped).
-- Params: none. Returns the count updated.
UPDATE leads SET
    status = v.status,
    converted_at = v.converted_at,
    value = v.value,
    lost = v.lost,
    junk = v.junk
FROM ingest_valid AS v
WHERE v.reason IS NULL
  AND leads.lead_id = v.lead_id
  AND (leads.status IS DISTINCT FROM v.status
       OR leads.converted_at IS DISTINCT FROM v.converted_at
       OR leads.value IS DISTINCT FROM v.value
       OR leads.lost IS DISTINCT FROM v.lost
       OR leads.junk IS DISTINCT FROM v.junk)
