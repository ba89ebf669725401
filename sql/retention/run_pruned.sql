-- When a run's per-conversion rows were pruned (NULL: kept, or no such run). Grain: one row
-- or none. Params: $run_id.
SELECT pruned_at
FROM attribution_runs
WHERE run_id = $run_id
