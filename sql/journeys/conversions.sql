-- The run's conversions: revenue events of a converting kind in [$start, $end) of leads that
-- are not junk, with their lead's creation: its time, and the channel code and source of the
-- creation touch, mapped by the lead's key as channels/touch_rows.sql and map_touches.sql map
-- it (NULL channel when the lead names no source and carries no UTM value, or was created at
-- or after $end: it has no creation touch), so that no later statement joins the touches to
-- find it. On Spark the mapping keys (a few dozen rows) are broadcast (engine/portable.py).
-- Grain: one row per conversion. Reads revenue_events, leads, run_key_channels, run_kinds (the
-- converting kinds, a registered table). Params: $start, $end (TIMESTAMP, UTC), $lookback
-- (INTERVAL).
-- Each conversion's day and the start of its journey's window are computed here, once per
-- conversion: journey_touches.sql would otherwise compute them for every touch (Spark's
-- timestamp arithmetic and casts to DATE go through java.time per row).
CREATE OR REPLACE TEMP TABLE run_conversions AS
SELECT
    r.event_id AS conversion_id,
    r.lead_id,
    r.lead_no,
    r.occurred_at AS converted_at,
    CAST(r.occurred_at AS DATE) AS day,
    r.occurred_at - $lookback AS window_start,
    CAST(r.amount AS DOUBLE) AS value,
    l.created_at AS lead_created_at,
    k.channel_code AS lead_channel_code,
    coalesce(k.mapped_source_id, l.source_id) AS lead_source_id
FROM revenue_events AS r
JOIN leads AS l ON l.lead_no = r.lead_no
LEFT JOIN run_key_channels AS k
  ON k.source_id IS NOT DISTINCT FROM l.source_id
 AND k.channel IS NULL
 AND k.utm_source IS NOT DISTINCT FROM l.utm_source
 AND k.utm_medium IS NOT DISTINCT FROM l.utm_medium
 AND k.utm_campaign IS NOT DISTINCT FROM l.utm_campaign
 AND l.created_at < $end
 AND (l.source_id IS NOT NULL OR NULLIF(trim(l.utm_source), '') IS NOT NULL
     OR NULLIF(trim(l.utm_medium), '') IS NOT NULL
     OR NULLIF(trim(l.utm_campaign), '') IS NOT NULL)
WHERE NOT l.junk
  AND r.occurred_at >= $start
  AND r.occurred_at < $end
  AND r.kind IN (SELECT kind FROM run_kinds)
