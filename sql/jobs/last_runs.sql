-- Each job's latest run. Grain: one row per job that ran. Params: none.
SELECT job, run_no, scheduled_for, started_at, finished_at, status, error
FROM (
    SELECT *, row_number() OVER (PARTITION BY job ORDER BY started_at DESC, run_no DESC) AS pick
    FROM job_runs
) AS r
WHERE pick = 1
ORDER BY job
