-- The first loaded batch of the same kind with the same file content, if any.
-- Grain: at most one row. Params: $kind, $sha256.
SELECT batch_id, started_at FROM ingest_batches
WHERE kind = $kind AND sha256 = $sha256 AND status = 'loaded'
ORDER BY batch_id
LIMIT 1
