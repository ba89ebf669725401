-- The run's conversions (as journeys/conversions.sql: revenue events of a converting kind in
-- [$start, $end) of leads that are not junk) and their lead's creation: its time, and the
-- channel code and source of the creation touch (as run_touches.sql maps it; NULL channel when
-- the lead names no source and carries no UTM value, or was created at or after $end: it has
-- no creation touch). In conversion id order, which journeys/rank_conversions.sql numbers.
-- DuckDB only. Grain: one row per conversion.
-- Reads revenue_events, leads, run_key_channels. Params: $start, $end (TIMESTAMP, UTC),
-- $kinds (VARCHAR[]: the converting kinds).
CREATE OR REPLACE TEMP TABLE run_conversions AS
SELECT
    r.event_id AS conversion_id,
    r.lead_id,
    r.lead_no,
    r.occurred_at AS converted_at,
    CAST(r.amount AS DOUBLE) AS value,
    l.created_at AS lead_created_at,
    k.channel_code AS lead_channel_code,
    coalesce(k.mapped_source_id, l.source_id) AS lead_source_id
FROM revenue_events AS r
JOIN leads AS l ON l.lead_no = r.lead_no
LEFT JOIN run_key_channels AS k
  ON hash(k.source_id, k.channel, k.utm_source, k.utm_medium, k.utm_campaign)
     = hash(l.source_id, CAST(NULL AS VARCHAR), l.utm_source, l.utm_medium, l.utm_campaign)
 AND k.source_id IS NOT DISTINCT FROM l.source_id
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
  AND list_contains($kinds, r.kind)
ORDER BY r.event_id
