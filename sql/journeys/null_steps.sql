-- The touches of the non-converting journeys (as journeys/journey_touches.sql: one per lead,
-- not junk, created before $end, with no conversion in the run, its touches in
-- [$window_from, $end)), lead by lead in the order the leads were loaded (lead_no), each in
-- time order, as integers: the journey's rank, the channel code and the source (-1: none).
-- Only the leads with such touches are numbered. Grain: one row per touch of a non-converting
-- journey. Reads run_touches, leads, run_conversions. Params: $end, $window_from (TIMESTAMP, UTC).
WITH windowed AS (
    SELECT lead_no, occurred_at, batch_id, row_number, is_lead_creation, channel_code, source_id
    FROM run_touches
    WHERE occurred_at < $end
      AND occurred_at >= $window_from
      AND lead_no NOT IN (SELECT lead_no FROM run_conversions)
),
journeys AS (
    SELECT l.lead_no, row_number() OVER (ORDER BY l.lead_no) AS journey_rank
    FROM leads AS l
    WHERE NOT l.junk
      AND l.created_at < $end
      AND l.lead_no IN (SELECT lead_no FROM windowed)
)
SELECT j.journey_rank, w.channel_code, coalesce(w.source_id, -1) AS source_id
FROM windowed AS w
JOIN journeys AS j ON j.lead_no = w.lead_no
ORDER BY j.journey_rank, w.occurred_at, w.batch_id, w.row_number, w.is_lead_creation
