-- Last touch: all of a conversion's credit to its journey's last touch.
-- Grain and columns: see first_touch.sql. Reads journey_steps. Params: none.
SELECT journey, channel, source_id, day, value, 1.0e0 AS conversion_share, 1.0e0 AS value_share
FROM journey_steps
WHERE converting = 1 AND pos = n
