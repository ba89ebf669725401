-- Marks as interrupted the runs left 'running' by a process that stopped (not this one), and
-- returns them, so that each can run again once. Grain: one row per such run.
-- Params: $pid (this process), $now.
UPDATE job_runs
SET status = 'interrupted', finished_at = $now,
    error = 'the process running it stopped before it finished'
WHERE status = 'running' AND pid <> $pid
RETURNING run_no, job, scheduled_for
