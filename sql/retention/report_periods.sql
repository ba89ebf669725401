-- The periods whose figures reports read from a run. Grain: one row per period.
-- Params: $run_id.
SELECT period_start, period_end
FROM run_report_periods
WHERE run_id = $run_id
ORDER BY period_start, period_end
