-- Removes the job runs of jobs/prunable.sql. A command. Params: $before (TIMESTAMP, UTC).
DELETE FROM job_runs
WHERE started_at < $before AND status <> 'running'
  AND run_no NOT IN (SELECT max(run_no) FROM job_runs GROUP BY job)
