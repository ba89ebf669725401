-- Whether registry changes made after an ingest validated its file (before taking the write
-- lock) can change that validation: a changed source the file names by id or its rows
-- resolved to, or a changed source now named as the file names one, or as the default source.
-- Run under the write lock, on the ingest's cursor (ingest_norm, ingest_valid).
-- Grain: one row, one BOOLEAN.
-- Params: $ids (INTEGER[]: ids of the sources changed since), $default_source (name; '' for
-- none).
SELECT
    EXISTS (SELECT 1 FROM ingest_valid AS v WHERE list_contains($ids, v.source_id))
    OR EXISTS (
        SELECT 1 FROM ingest_norm AS n
        WHERE list_contains($ids, TRY_CAST(n.source_id AS INTEGER))
    )
    OR EXISTS (
        SELECT 1
        FROM lead_sources AS s
        WHERE list_contains($ids, s.id)
          AND (s.name_key = lower(trim($default_source))
               OR s.name_key IN (SELECT lower(n.source) FROM ingest_norm AS n))
    ) AS changed
