-- Marks runs as pruned: their per-conversion rows are gone, their aggregates kept. A command.
-- Params: $run_ids (INTEGER[]), $now (TIMESTAMP, UTC).
UPDATE attribution_runs
SET pruned_at = $now
WHERE list_contains($run_ids, run_id)
