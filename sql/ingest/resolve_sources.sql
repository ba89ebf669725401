-- The file's rows with their lead source resolved: by registry id when source_id is given, else
-- by name (case-insensitive). Unknown names were added to the registry beforehand when config
-- says so, so a name still unmatched here is refused. source_id is the file's value as text
-- (columns.py): an id is digits, optionally signed, and a number with only zeros after its
-- point (3.0, as a float column writes it); 1.5, true or 1e3 are not integers (a cast alone
-- would round 1.5 to 2 and read true as 1). Grain: one row per file row.
-- Reads ingest_norm (kinds with source_id and source columns). Params: none.
CREATE OR REPLACE TEMP VIEW ingest_sourced AS
SELECT
    n.* EXCLUDE (source_no),
    coalesce(by_id.id, by_name.id) AS resolved_source_id,
    NULLIF(concat_ws('; ',
        CASE WHEN n.source_id IS NOT NULL AND n.source_no IS NULL
            THEN 'source_id is not an integer' END,
        CASE WHEN n.source_no IS NOT NULL AND by_id.id IS NULL
            THEN 'source_id is not in the lead-source registry' END,
        CASE WHEN n.source_id IS NULL AND n.source IS NOT NULL AND by_name.id IS NULL
            THEN 'source is not in the lead-source registry' END
    ), '') AS source_reason
FROM (
    SELECT
        *,
        CASE WHEN regexp_full_match(source_id, '[+-]?[0-9]+(\.0*)?')
            THEN TRY_CAST(source_id AS INTEGER) END AS source_no
    FROM ingest_norm
) AS n
LEFT JOIN lead_sources AS by_id ON by_id.id = n.source_no
LEFT JOIN lead_sources AS by_name ON by_name.name_key = lower(n.source)
