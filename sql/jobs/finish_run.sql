-- Records how a job run ended. Grain: one row.
-- Params: $run_no, $status (succeeded, failed, skipped), $finished_at, $error, $outputs (JSON).
UPDATE job_runs
SET status = $status, finished_at = $finished_at, error = $error, outputs = $outputs
WHERE run_no = $run_no
