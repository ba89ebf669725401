-- Which of a group's uploads repeat a file loaded before (as ingest/find_loaded_file, for
-- many): for each content seen, its first loaded batch of leads. Grain: one row per content
-- loaded before. Params: $shas (the uploads' SHA-256s).
SELECT sha256, min(batch_id) AS batch_id
FROM ingest_batches
WHERE kind = 'leads' AND status = 'loaded' AND sha256 IN (SELECT unnest($shas))
GROUP BY sha256
