-- time_decay's credit per (distinct path, channel) of the converting journeys whose conversion
-- falls in [$from, $to), from its touch_credit rows: what the SQL run's intervals resample
-- (each journey of a path carrying the path's mean credit; the other models' credit per path
-- is their shares). Grain: (path_key, channel).
-- Reads touch_credit, run_journeys. Params: $from, $to (TIMESTAMP, UTC; whole days).
SELECT
    j.path_key,
    t.channel,
    sum(t.conversion_share) AS conversions,
    sum(t.value * t.value_share) AS value
FROM touch_credit AS t
JOIN run_journeys AS j ON j.journey = t.journey
WHERE t.day >= CAST($from AS DATE) AND t.day < CAST($to AS DATE)
GROUP BY j.path_key, t.channel
ORDER BY j.path_key, t.channel
