-- The touches of the non-converting journeys (journey_touches.sql), lead by lead, in time
-- order. Grain: (lead_id, pos). Reads journey_touches. Params: none.
SELECT lead_id, channel_code, source_id, pos
FROM journey_touches
WHERE converting = 0
ORDER BY lead_id, pos
