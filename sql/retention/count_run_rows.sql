-- How many rows of a per-conversion table (filled in: run_conversion_ids, journey_channels or
-- conversion_credits) each of the runs $run_ids has. Grain: one row per run with rows.
-- Params: $run_ids (INTEGER[]).
SELECT run_id, count(*) AS row_count
FROM {table}
WHERE list_contains($run_ids, run_id)
GROUP BY run_id
