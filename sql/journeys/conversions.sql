-- The run's conversions: revenue events of a converting kind in [$start, $end) of leads that
-- are not junk. Grain: one row per conversion. Reads run_kinds (the converting kinds, a
-- registered table). Params: $start, $end (TIMESTAMP, UTC).
CREATE OR REPLACE TEMP TABLE run_conversions AS
SELECT
    r.event_id AS conversion_id,
    r.lead_id,
    r.occurred_at AS converted_at,
    CAST(r.amount AS DOUBLE) AS value
FROM revenue_events AS r
JOIN leads AS l ON l.lead_id = r.lead_id
WHERE NOT l.junk
  AND r.occurred_at >= $start
  AND r.occurred_at < $end
  AND r.kind IN (SELECT kind FROM run_kinds)
