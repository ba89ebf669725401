-- The file's rows with their lead source resolved: by registry id when source_id is given, else
-- by name (case-insensitive). Unknown names were added to the registry beforehand when config
-- says so, so a name still unmatched here is refused. Grain: one row per file row.
-- Reads ingest_norm (kinds with source_id and source columns). Params: none.
CREATE OR REPLACE TEMP VIEW ingest_sourced AS
SELECT
    n.*,
    coalesce(by_id.id, by_name.id) AS resolved_source_id,
    NULLIF(concat_ws('; ',
        CASE WHEN n.source_id IS NOT NULL AND TRY_CAST(n.source_id AS INTEGER) IS NULL
            THEN 'source_id is not an integer' END,
        CASE WHEN TRY_CAST(n.source_id AS INTEGER) IS NOT NULL AND by_id.id IS NULL
            THEN 'source_id is not in the lead-source registry' END,
        CASE WHEN n.source_id IS NULL AND n.source IS NOT NULL AND by_name.id IS NULL
            THEN 'source is not in the lead-source registry' END
    ), '') AS source_reason
FROM ingest_norm AS n
LEFT JOIN lead_sources AS by_id ON by_id.id = TRY_CAST(n.source_id AS INTEGER)
LEFT JOIN lead_sources AS by_name ON by_name.name_key = lower(n.source)
