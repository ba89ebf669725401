-- The sources an ingest's file depends on, read when it is validated before the write lock:
-- the ids its rows resolved to or name, and the source names it gives (lower-case). Under the
-- lock, registry changes since then that touch none of these keep the validation.
-- Reads ingest_valid and ingest_norm (this cursor's). Grain: one row.
-- Params: none.
SELECT
    (
        SELECT coalesce(list(DISTINCT i.id), [])
        FROM (
            SELECT v.source_id AS id FROM ingest_valid AS v
            UNION ALL
            SELECT TRY_CAST(n.source_id AS INTEGER) FROM ingest_norm AS n
        ) AS i
        WHERE i.id IS NOT NULL
    ) AS ids,
    (
        SELECT coalesce(list(DISTINCT lower(n.source)), [])
        FROM ingest_norm AS n
        WHERE n.source IS NOT NULL
    ) AS names
