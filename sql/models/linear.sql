-- Linear: each touch of a journey 1/n of its conversion (repeated channels count each time).
-- Grain and columns: see first_touch.sql. Reads journey_steps. Params: none.
SELECT
    journey, channel, source_id, day, value, 1.0e0 / n AS conversion_share, 1.0e0 / n AS value_share
FROM journey_steps
WHERE converting = 1
