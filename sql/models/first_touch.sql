-- First touch: all of a conversion's credit to its journey's first touch.
-- Grain: one row per credited touch of a converting journey; every model statement gives
-- journey, channel, source_id, day, value (the conversion's), conversion_share and
-- value_share (the touch's share of the conversion and of its value). Reads journey_steps.
-- Params: none.
SELECT journey, channel, source_id, day, value, 1.0e0 AS conversion_share, 1.0e0 AS value_share
FROM journey_steps
WHERE converting = 1 AND pos = 1
