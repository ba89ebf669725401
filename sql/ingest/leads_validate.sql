-- Leads of the file being ingested, typed, each with the reasons it is rejected (NULL when good)
-- and whether it is the file's first row for its lead_id. Grain: one row per file row.
-- Reads ingest_norm (canonical columns; text trimmed, empty = NULL; timestamps already in UTC,
-- with a *_given flag telling a missing value from an unreadable one).
-- Params: $reject_unknown_sources (true: a source name not in the registry rejects the row).
CREATE OR REPLACE TEMP TABLE ingest_valid AS
WITH typed AS (
    SELECT
        n.row_number,
        CAST(n.lead_id AS VARCHAR) AS lead_id,
        n.created_at_given AS has_created_at,
        n.created_at,
        n.source_id IS NOT NULL AS has_source_id,
        TRY_CAST(n.source_id AS INTEGER) AS given_source_id,
        n.source AS source_name,
        n.utm_source,
        n.utm_medium,
        n.utm_campaign,
        n.status,
        CASE WHEN n.email IS NOT NULL THEN sha256(lower(n.email)) END AS email_sha256,
        n.converted_at_given AS has_converted_at,
        n.converted_at,
        n.value IS NOT NULL AS has_value,
        TRY_CAST(n.value AS DECIMAL(18, 2)) AS value,
        n.lost IS NOT NULL AS has_lost,
        TRY_CAST(n.lost AS BOOLEAN) AS lost,
        n.junk IS NOT NULL AS has_junk,
        TRY_CAST(n.junk AS BOOLEAN) AS junk
    FROM ingest_norm AS n
),
resolved AS (
    SELECT
        t.*,
        by_id.id AS id_match,
        by_name.id AS name_match
    FROM typed AS t
    LEFT JOIN lead_sources AS by_id ON by_id.id = t.given_source_id
    LEFT JOIN lead_sources AS by_name ON by_name.name_key = lower(t.source_name)
)
SELECT
    r.row_number,
    r.lead_id AS natural_key,
    r.lead_id,
    r.created_at,
    coalesce(r.id_match, r.name_match) AS source_id,
    r.utm_source,
    r.utm_medium,
    r.utm_campaign,
    r.status,
    r.email_sha256,
    r.converted_at,
    r.value,
    coalesce(r.lost, false) AS lost,
    coalesce(r.junk, false) AS junk,
    NULLIF(concat_ws('; ',
        CASE WHEN r.lead_id IS NULL THEN 'lead_id is missing' END,
        CASE WHEN NOT r.has_created_at THEN 'created_at is missing' END,
        CASE WHEN r.has_created_at AND r.created_at IS NULL
            THEN 'created_at is not an ISO 8601 timestamp' END,
        CASE WHEN r.created_at < TIMESTAMP '1970-01-01' OR r.created_at >= TIMESTAMP '2100-01-01'
            THEN 'created_at is outside 1970-2099' END,
        CASE WHEN r.has_converted_at AND r.converted_at IS NULL
            THEN 'converted_at is not an ISO 8601 timestamp' END,
        CASE WHEN r.converted_at < TIMESTAMP '1970-01-01' OR r.converted_at >= TIMESTAMP '2100-01-01'
            THEN 'converted_at is outside 1970-2099' END,
        CASE WHEN r.has_value AND r.value IS NULL THEN 'value is not a number' END,
        CASE WHEN r.value < 0 THEN 'value is negative' END,
        CASE WHEN r.has_lost AND r.lost IS NULL THEN 'lost is not a boolean (true/false, 1/0)' END,
        CASE WHEN r.has_junk AND r.junk IS NULL THEN 'junk is not a boolean (true/false, 1/0)' END,
        CASE WHEN r.has_source_id AND r.given_source_id IS NULL THEN 'source_id is not an integer' END,
        CASE WHEN r.given_source_id IS NOT NULL AND r.id_match IS NULL
            THEN 'source_id is not in the lead-source registry' END,
        CASE WHEN NOT r.has_source_id AND r.source_name IS NOT NULL AND r.name_match IS NULL
            AND (length(r.source_name) > 150 OR $reject_unknown_sources)
            THEN 'source is not in the lead-source registry' END
    ), '') AS reason
FROM resolved AS r
