-- Every touch with its channel, its channel's code and how it was found (mapped_by): each
-- touch joined to its mapping key (journeys/key_channels.sql, where the rules are matched once
-- per distinct combination of source, channel and UTM values; mapping_keys.sql first). A touch
-- that names no source but matches a source's UTM rule carries that source.
-- Creating a lead is itself a touch of its source at its created_at (is_lead_creation) when
-- the lead names a source or carries a UTM value; a lead with neither (of unknown origin) adds
-- no touch. Portable SQL: on Spark the keys (a few dozen rows) are broadcast, so the touches
-- are not shuffled to meet them.
-- Grain: one row per row of run_touch_rows (touches and lead creations).
-- Reads run_touch_rows (channels/touch_rows.sql, for the window), run_key_channels.
-- Params: none.
CREATE OR REPLACE TEMP TABLE touch_channels AS
SELECT
    a.lead_id,
    a.lead_no,
    a.occurred_at,
    a.batch_id,
    a.row_number,
    a.is_lead_creation,
    k.mapped_source_id AS source_id,
    k.mapped_channel AS channel,
    k.channel_code,
    k.mapped_by
FROM run_touch_rows AS a
JOIN run_key_channels AS k
  ON k.source_id IS NOT DISTINCT FROM a.source_id
 AND k.channel IS NOT DISTINCT FROM a.channel
 AND k.utm_source IS NOT DISTINCT FROM a.utm_source
 AND k.utm_medium IS NOT DISTINCT FROM a.utm_medium
 AND k.utm_campaign IS NOT DISTINCT FROM a.utm_campaign
