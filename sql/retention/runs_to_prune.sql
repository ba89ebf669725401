-- The runs whose per-conversion rows retention prunes: every run not yet pruned, older than
-- the newest $keep runs, and not one of $in_use (the latest report's run). Grain: one row per
-- run, oldest first. Params: $keep (INTEGER), $in_use (INTEGER[]).
SELECT run_id, created_at, window_start, window_end, conversions
FROM attribution_runs
WHERE pruned_at IS NULL
  AND NOT list_contains($in_use, run_id)
  AND run_id NOT IN (SELECT run_id FROM attribution_runs ORDER BY run_id DESC LIMIT $keep)
ORDER BY run_id
