-- Position-based: $first to the first touch, $last to the last and $middle split evenly over
-- the touches between; a journey of two splits first : last; of one, all to its touch.
-- Grain and columns: see first_touch.sql. Reads journey_steps.
-- Params: $first, $middle, $last (DOUBLE, non-negative, summing to 1).
WITH weighted AS (
    SELECT
        journey, channel, source_id, day, value,
        CASE
            WHEN n = 1 THEN 1.0e0
            WHEN n = 2 AND $first + $last = 0 THEN 0.5e0
            WHEN n = 2 AND pos = 1 THEN 1.0e0 * $first / ($first + $last)
            WHEN n = 2 THEN 1.0e0 * $last / ($first + $last)
            WHEN pos = 1 THEN 1.0e0 * $first
            WHEN pos = n THEN 1.0e0 * $last
            ELSE 1.0e0 * $middle / (n - 2)
        END AS share
    FROM journey_steps
    WHERE converting = 1
)
SELECT journey, channel, source_id, day, value, share AS conversion_share, share AS value_share
FROM weighted
