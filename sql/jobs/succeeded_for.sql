-- Whether a job already has a successful run for a scheduled time (a restart must not double
-- it). Grain: one row. Params: $job, $scheduled_for.
SELECT count(*) > 0 AS done
FROM job_runs
WHERE job = $job AND scheduled_for = $scheduled_for AND status = 'succeeded'
