-- The run's conversions in rank order (run_conversions.sql): time and value, the
-- facts of each converting journey. Grain: one row per conversion. Reads run_conversions.
-- Params: none.
SELECT converted_at, value
FROM run_conversions
ORDER BY conversion_rank
