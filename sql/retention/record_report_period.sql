-- Records a period whose figures a report read from a run, so that they are kept when the
-- run is pruned. A command. Params: $run_id, $from, $to (TIMESTAMP, UTC).
INSERT INTO run_report_periods (run_id, period_start, period_end)
SELECT $run_id, $from, $to
WHERE NOT EXISTS (
    SELECT 1 FROM run_report_periods
    WHERE run_id = $run_id AND period_start = $from AND period_end = $to
)
