-- A run's touches and lead creations with their channel as a code and no strings: the lead's
-- number (lead_no), the time and ingest order, the source found by mapping (NULL: none). The
-- mapping key of each row is found by a hash of its values and checked value by value (IS NOT
-- DISTINCT FROM), so this small join is exact. The same rows as channels/map_touches.sql
-- (which joins the same keys on the values, portably). DuckDB only.
-- Grain: one row per touch, plus one per lead creation (as in map_touches.sql).
-- Reads run_touch_rows (channels/touch_rows.sql, for the run's window), run_key_channels.
-- Params: none.
CREATE OR REPLACE TEMP TABLE run_touches AS
SELECT
    r.lead_no, r.occurred_at, r.batch_id, r.row_number, r.is_lead_creation,
    k.mapped_source_id AS source_id, k.channel_code
FROM run_touch_rows AS r
JOIN run_key_channels AS k
  ON hash(k.source_id, k.channel, k.utm_source, k.utm_medium, k.utm_campaign)
     = hash(r.source_id, r.channel, r.utm_source, r.utm_medium, r.utm_campaign)
 AND k.source_id IS NOT DISTINCT FROM r.source_id
 AND k.channel IS NOT DISTINCT FROM r.channel
 AND k.utm_source IS NOT DISTINCT FROM r.utm_source
 AND k.utm_medium IS NOT DISTINCT FROM r.utm_medium
 AND k.utm_campaign IS NOT DISTINCT FROM r.utm_campaign
