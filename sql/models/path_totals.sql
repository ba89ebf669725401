-- The journeys' distinct paths with their conversions, non-conversions and value: a path file's
-- rows (fractribution works on these); value_cents, the value summed exactly in whole cents
-- (values are amounts of DECIMAL(18, 2)), for the run's input hash: a sum of doubles differs in
-- its last bits with the order the engine adds in; largest_value, the largest absolute value
-- of one journey (Markov's per-conversion fit measures its error per journey).
-- Grain: path_key. Reads run_journeys. Params: none.
SELECT
    path_key,
    sum(converting) AS conversions,
    sum(1 - converting) AS nulls,
    sum(value) AS value,
    sum(CAST(round(value * 100.0e0) AS BIGINT)) AS value_cents,
    max(abs(value)) AS largest_value
FROM run_journeys
GROUP BY path_key
ORDER BY path_key
