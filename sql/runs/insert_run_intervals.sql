-- Stores the settings of a run's intervals from the registered Arrow table run_interval_scopes.
-- Grain: one row per period the run has intervals for. Params: $run_id.
INSERT INTO run_intervals
SELECT $run_id, period_start, period_end, level, resamples, seed, method, basis, seconds
FROM run_interval_scopes
