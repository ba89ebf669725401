-- time_decay's credit per (distinct path, channel) of the converting journeys whose conversion
-- falls in [$from, $to), from its touch_credit rows: what the SQL run's intervals resample
-- (each journey of a path carrying the path's mean credit; the other models' credit per path
-- is their shares). Grain: (path_key, channel).
-- Reads touch_credit. Params: $from, $to (TIMESTAMP, UTC; whole days).
SELECT
    path_key,
    channel,
    sum(conversion_share) AS conversions,
    sum(value * value_share) AS value
FROM touch_credit
WHERE day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
GROUP BY path_key, channel
ORDER BY path_key, channel
