-- The converting journeys per distinct path whose conversion falls in [$from, $to): the
-- counts the Spark run's intervals redraw (Poisson). Grain: path_key.
-- Reads run_journeys, journey_steps. Params: $from, $to (TIMESTAMP, UTC; whole days).
SELECT j.path_key, count(*) AS journeys
FROM run_journeys AS j
JOIN (SELECT DISTINCT journey, day FROM journey_steps WHERE converting = 1) AS d
    ON d.journey = j.journey
WHERE d.day >= CAST($from AS DATE) AND d.day < CAST($to AS DATE)
GROUP BY j.path_key
ORDER BY j.path_key
