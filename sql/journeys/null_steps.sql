-- The touches of the non-converting journeys (as journeys/journey_touches.sql: one per lead,
-- not junk, created before $end, with no conversion in the run, its touches in
-- [$window_from, $end)), lead by lead in the order the leads were loaded (lead_no), each in
-- time order, as integers: the lead's number (a journey ends where it changes), the channel
-- code and the source (-1: none). The leads left out are found as a small list (the run's
-- converting leads, and the few junk or later leads), not by joining every lead.
-- Grain: one row per touch of a non-converting journey.
-- Reads run_touches, leads, run_conversions. Params: $end, $window_from (TIMESTAMP, UTC).
SELECT t.lead_no, t.channel_code, coalesce(t.source_id, -1) AS source_id
FROM run_touches AS t
WHERE t.occurred_at < $end
  AND t.occurred_at >= $window_from
  AND t.lead_no NOT IN (
      SELECT c.lead_no FROM run_conversions AS c
      UNION ALL
      SELECT l.lead_no FROM leads AS l WHERE l.junk OR l.created_at >= $end
  )
ORDER BY t.lead_no, t.occurred_at, t.batch_id, t.row_number, t.is_lead_creation
