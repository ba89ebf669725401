-- The journeys' distinct channel sets with their conversions, non-conversions and value, and
-- the largest conversion and absolute value of one journey (Markov's per-conversion fit).
-- Grain: set_key. Reads run_journeys. Params: none.
SELECT
    set_key,
    sum(converting) AS conversions,
    sum(1 - converting) AS nulls,
    sum(value) AS value,
    max(converting) AS largest_conversion,
    max(abs(value)) AS largest_value
FROM run_journeys
GROUP BY set_key
ORDER BY set_key
