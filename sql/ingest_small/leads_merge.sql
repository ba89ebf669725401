-- The good leads of a group of small uploads in one statement, as ingest/leads_update then
-- ingest/leads_insert: a lead the warehouse holds is updated when the file changes its status,
-- conversion, value, lost or junk flag; a new one is added, numbered once and for good
-- (lead_no: the batch in the high 32 bits, the file's row in the low ones). Repeats within a
-- file were dropped before; no two uploads of a group share a lead. Grain: one returned row per
-- lead updated or added: what was done, the lead and its source. Reads ingest_valid (the Arrow
-- table of this connection: the validated rows of the group, each with its batch_id).
-- Params: none.
MERGE INTO leads
USING (SELECT * FROM ingest_valid WHERE reason IS NULL) AS v
ON leads.lead_id = v.lead_id
WHEN MATCHED AND (leads.status IS DISTINCT FROM v.status
                  OR leads.converted_at IS DISTINCT FROM v.converted_at
                  OR leads.value IS DISTINCT FROM v.value
                  OR leads.lost IS DISTINCT FROM v.lost
                  OR leads.junk IS DISTINCT FROM v.junk) THEN
    UPDATE SET
        status = v.status,
        converted_at = v.converted_at,
        value = v.value,
        lost = v.lost,
        junk = v.junk
WHEN NOT MATCHED THEN
    INSERT VALUES (
        v.lead_id, v.created_at, v.source_id, v.utm_source, v.utm_medium, v.utm_campaign,
        v.status, v.email_sha256, v.converted_at, v.value, v.lost, v.junk, v.batch_id,
        v.row_number, (CAST(v.batch_id AS BIGINT) << 32) + v.row_number
    )
RETURNING merge_action AS action, lead_id, source_id
