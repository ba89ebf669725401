-- Whether a period holds any lead or conversion, as period_data.sql counts them (junk leads and
-- their revenue left out): the quick test before a run or report, which stops at the first row
-- found (an empty period is then counted by period_data.sql, for its message).
-- Grain: one row, or none for an empty period.
-- Params: $start, $end (TIMESTAMP, UTC), $kinds (VARCHAR[]: the converting kinds).
SELECT 1
FROM leads
WHERE NOT junk AND created_at >= $start AND created_at < $end
UNION ALL
SELECT 1
FROM revenue_events AS r
JOIN leads AS l ON l.lead_no = r.lead_no
WHERE NOT l.junk AND list_contains($kinds, r.kind)
  AND r.occurred_at >= $start AND r.occurred_at < $end
LIMIT 1
