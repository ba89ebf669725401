-- Time decay: each touch weighs 2^(-t / $half_life_days), t its time before the journey's
-- latest touch in days (the same shares as its time before the conversion, without underflow),
-- weights normalised per journey. Its shares depend on the touches' times, not only on the
-- path, so it is a statement of its own (the other models run on the distinct paths).
-- Grain: one row per touch of a converting journey: journey, channel, source_id, day, value
-- (the conversion's), conversion_share and value_share (the touch's share of the conversion
-- and of its value). Reads journey_steps. Params: $half_life_days (DOUBLE, positive).
WITH weighted AS (
    SELECT
        journey, channel, source_id, day, value,
        power(
            2.0e0,
            -1.0e0 * (epoch_us(max(occurred_at) OVER (PARTITION BY journey)) - epoch_us(occurred_at))
            / 86400000000.0e0 / $half_life_days
        ) AS raw
    FROM journey_steps
    WHERE converting = 1
),
shared AS (
    SELECT
        journey, channel, source_id, day, value,
        1.0e0 * raw / sum(raw) OVER (PARTITION BY journey) AS share
    FROM weighted
)
SELECT journey, channel, source_id, day, value, share AS conversion_share, share AS value_share
FROM shared
