-- The touches of the converting journeys (journey_touches.sql), journey by journey in
-- conversion id order, in time order, with both times, so that the caller can tell each touch's
-- time before its conversion. Grain: (conversion_id, pos). Reads journey_touches. Params: none.
SELECT conversion_id, value, channel_code, source_id, converted_at, occurred_at, pos
FROM journey_touches
WHERE converting = 1
ORDER BY conversion_id, pos
