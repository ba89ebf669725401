-- Deletes the rows of the runs $run_ids from a per-conversion table (filled in). A command.
-- Params: $run_ids (INTEGER[]).
DELETE FROM {table}
WHERE list_contains($run_ids, run_id)
