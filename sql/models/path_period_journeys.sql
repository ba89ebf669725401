-- The converting journeys per distinct path whose conversion falls in [$from, $to), with their
-- value: the counts the SQL run's intervals redraw (Poisson). Grain: path_key.
-- Reads run_journeys. Params: $from, $to (TIMESTAMP, UTC; whole days).
SELECT path_key, count(*) AS journeys, sum(value) AS value
FROM run_journeys
WHERE converting = 1 AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
GROUP BY path_key
ORDER BY path_key
