-- Job runs retention removes: finished before $before, and not their job's latest run.
-- Grain: one row. Params: $before (TIMESTAMP, UTC).
SELECT count(*) AS runs
FROM job_runs
WHERE started_at < $before AND status <> 'running'
  AND run_no NOT IN (SELECT max(run_no) FROM job_runs GROUP BY job)
