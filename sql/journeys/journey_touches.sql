-- The touches of every journey of a run, as a view. A converting journey: one per conversion,
-- its lead's touches (lead creation included) in the half-open window
-- [converted_at - lookback, converted_at). A non-converting journey: one per lead (not junk,
-- created before $end) with no conversion in the run, its touches in [$end - lookback, $end).
-- Touches in time order; ties by ingest order (batch, row), then the touch before the lead
-- creation. Portable SQL: the Spark engine runs this same file (see attribution/portable.py).
-- Grain: (journey, pos). Reads run_conversions, touch_channels (with each touch's channel code),
-- leads.
-- A conversion's journey is partitioned by its lead as well (the same rows: a conversion has one
-- lead) so that Spark numbers the touches where the join on lead_id put them, without another
-- shuffle.
-- Params: $lookback (INTERVAL), $end, $window_from (TIMESTAMP, UTC: $end less the lookback).
-- Columns: journey ('c:' || conversion id, or 'n:' || lead id), converting (1 or 0),
-- conversion_id, lead_id, value (0 when not converting), converted_at and day (NULL when not
-- converting), channel, channel_code, source_id (-1: none), occurred_at, pos (from 1), and
-- what the journey's touches make (computed in the same partition as pos, so that no later
-- statement shuffles the touches by journey): n, their count; path_key, their channel codes in
-- touch order joined by '>'; source_key, their source ids (-1: none) in touch order joined by
-- ','.
CREATE OR REPLACE TEMP VIEW journey_touches AS
SELECT
    'c:' || c.conversion_id AS journey,
    1 AS converting,
    c.conversion_id,
    c.lead_id,
    c.value,
    c.converted_at,
    CAST(c.converted_at AS DATE) AS day,
    tc.channel,
    tc.channel_code,
    coalesce(tc.source_id, -1) AS source_id,
    tc.occurred_at,
    row_number() OVER (
        PARTITION BY c.lead_id, c.conversion_id
        ORDER BY tc.occurred_at, tc.batch_id, tc.row_number, tc.is_lead_creation
    ) AS pos,
    count(*) OVER (PARTITION BY c.lead_id, c.conversion_id) AS n,
    string_agg(CAST(tc.channel_code AS VARCHAR), '>' ORDER BY
        tc.occurred_at, tc.batch_id, tc.row_number, tc.is_lead_creation
    ) OVER (PARTITION BY c.lead_id, c.conversion_id) AS path_key,
    string_agg(CAST(coalesce(tc.source_id, -1) AS VARCHAR), ',' ORDER BY
        tc.occurred_at, tc.batch_id, tc.row_number, tc.is_lead_creation
    ) OVER (PARTITION BY c.lead_id, c.conversion_id) AS source_key
FROM run_conversions AS c
JOIN touch_channels AS tc ON tc.lead_id = c.lead_id
WHERE tc.occurred_at < c.converted_at
  AND tc.occurred_at >= c.converted_at - $lookback
UNION ALL
SELECT
    'n:' || l.lead_id,
    0,
    CAST(NULL AS VARCHAR),
    l.lead_id,
    CAST(0 AS DOUBLE),
    CAST(NULL AS TIMESTAMP),
    CAST(NULL AS DATE),
    tc.channel,
    tc.channel_code,
    coalesce(tc.source_id, -1),
    tc.occurred_at,
    row_number() OVER (
        PARTITION BY l.lead_id
        ORDER BY tc.occurred_at, tc.batch_id, tc.row_number, tc.is_lead_creation
    ),
    count(*) OVER (PARTITION BY l.lead_id),
    string_agg(CAST(tc.channel_code AS VARCHAR), '>' ORDER BY
        tc.occurred_at, tc.batch_id, tc.row_number, tc.is_lead_creation
    ) OVER (PARTITION BY l.lead_id),
    string_agg(CAST(coalesce(tc.source_id, -1) AS VARCHAR), ',' ORDER BY
        tc.occurred_at, tc.batch_id, tc.row_number, tc.is_lead_creation
    ) OVER (PARTITION BY l.lead_id)
FROM leads AS l
JOIN touch_channels AS tc ON tc.lead_id = l.lead_id
WHERE NOT l.junk
  AND l.created_at < $end
  AND tc.occurred_at < $end
  AND tc.occurred_at >= $window_from
  AND NOT EXISTS (SELECT 1 FROM run_conversions AS c WHERE c.lead_id = l.lead_id)
