-- The latest job runs, newest first; all jobs, or one ($job). Grain: one row per run.
-- Params: $job (VARCHAR or NULL), $limit.
SELECT run_no, job, scheduled_for, trigger, started_at, finished_at, status, error, outputs, pid
FROM job_runs
WHERE $job IS NULL OR job = $job
ORDER BY started_at DESC, run_no DESC
LIMIT $limit
