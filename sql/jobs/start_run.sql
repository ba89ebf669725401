-- Records the start of a job run and returns its number. Grain: one row.
-- Params: $job, $scheduled_for, $trigger, $started_at (UTC), $pid.
INSERT INTO job_runs (job, scheduled_for, trigger, started_at, status, pid)
VALUES ($job, $scheduled_for, $trigger, $started_at, 'running', $pid)
RETURNING run_no
