-- The touches of the non-converting journeys (as journeys/journey_touches.sql: one per lead,
-- not junk, created before $end, with no conversion in the run, its touches in
-- [$window_from, $end)), lead by lead in lead id order, each in time order, as integers: the
-- journey's rank, the channel code and the source (-1: none). Only the leads with such
-- touches are sorted by their id. Grain: one row per touch of a non-converting journey.
-- Reads run_touches, leads, run_conversions. Params: $end, $window_from (TIMESTAMP, UTC).
WITH windowed AS (
    SELECT lead_id, occurred_at, batch_id, row_number, is_lead_creation, channel_code, source_id
    FROM run_touches
    WHERE occurred_at < $end
      AND occurred_at >= $window_from
      AND lead_id NOT IN (SELECT lead_id FROM run_conversions)
),
journeys AS (
    SELECT l.lead_id, row_number() OVER (ORDER BY l.lead_id) AS journey_rank
    FROM leads AS l
    WHERE NOT l.junk
      AND l.created_at < $end
      AND l.lead_id IN (SELECT lead_id FROM windowed)
)
SELECT j.journey_rank, w.channel_code, coalesce(w.source_id, -1) AS source_id
FROM windowed AS w
JOIN journeys AS j ON j.lead_id = w.lead_id
ORDER BY j.journey_rank, w.occurred_at, w.batch_id, w.row_number, w.is_lead_creation
