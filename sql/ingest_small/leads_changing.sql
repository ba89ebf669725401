-- How many good leads of an upload would be added or changed (the cases of
-- ingest_small/leads_merge): asked only of an upload repeating a loaded file, which is refused
-- when none would. Grain: one row. Reads ingest_valid (the Arrow table of this connection: the
-- upload's validated rows). Params: none.
SELECT count(*) AS leads
FROM ingest_valid AS v
LEFT JOIN leads ON leads.lead_id = v.lead_id
WHERE v.reason IS NULL
  AND (leads.lead_id IS NULL
       OR leads.status IS DISTINCT FROM v.status
       OR leads.converted_at IS DISTINCT FROM v.converted_at
       OR leads.value IS DISTINCT FROM v.value
       OR leads.lost IS DISTINCT FROM v.lost
       OR leads.junk IS DISTINCT FROM v.junk)
