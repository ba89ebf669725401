-- What a period holds, counted before a report or run over it is made (an empty one is
-- refused): leads created in [$start, $end) and conversions (revenue events of a converting
-- kind) in it, junk leads and their revenue left out; and the first and last day of any such
-- lead or conversion in the warehouse, to say where data is. Grain: one row.
-- Params: $start, $end (TIMESTAMP, UTC), $kinds (VARCHAR[]: the converting kinds).
WITH facts AS (
    SELECT created_at AS happened_at, true AS is_lead
    FROM leads
    WHERE NOT junk
    UNION ALL
    SELECT r.occurred_at, false
    FROM revenue_events AS r
    JOIN leads AS l ON l.lead_no = r.lead_no
    WHERE NOT l.junk AND list_contains($kinds, r.kind)
)
SELECT
    count(*) FILTER (WHERE is_lead AND happened_at >= $start AND happened_at < $end) AS leads,
    count(*) FILTER (
        WHERE NOT is_lead AND happened_at >= $start AND happened_at < $end
    ) AS conversions,
    CAST(min(happened_at) AS DATE) AS first_day,
    CAST(max(happened_at) AS DATE) AS last_day
FROM facts
