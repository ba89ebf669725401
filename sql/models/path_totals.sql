-- The journeys' distinct paths with their conversions, non-conversions and value: a path file's
-- rows (fractribution works on these).
-- Grain: path_key. Reads run_journeys. Params: none.
SELECT
    path_key,
    sum(converting) AS conversions,
    sum(1 - converting) AS nulls,
    sum(value) AS value
FROM run_journeys
GROUP BY path_key
ORDER BY path_key
