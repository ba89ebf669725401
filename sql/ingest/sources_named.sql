-- Whether a source changed since an ingest validated its file now has a name the file gives,
-- or the default source's name: then the file is validated again (under the write lock).
-- Grain: one row, one BOOLEAN.
-- Params: $ids (INTEGER[]: the changed sources), $names (VARCHAR[]: the file's source names,
-- lower-case), $default_source (name; '' for none).
SELECT EXISTS (
    SELECT 1
    FROM lead_sources AS s
    WHERE list_contains($ids, s.id)
      AND (list_contains($names, s.name_key) OR s.name_key = lower(trim($default_source)))
) AS named
