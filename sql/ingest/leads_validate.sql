-- Leads of the file being ingested, typed, each with the reasons it is rejected (NULL when good).
-- A query (store_valid keeps its rows as ingest_valid). Grain: one row per file row.
-- Reads ingest_sourced (canonical columns; text trimmed, empty = NULL; timestamps already in
-- UTC, with a *_given flag telling missing from unreadable).
-- A value keeps up to 6 decimals (DECIMAL(22, 6)); one with more than 16 digits before the
-- point is too large, not "not a number" (value_numeric tells them apart).
-- Params: $default_source (name of the source for leads that name none; '' for none).
WITH typed AS (
    SELECT
        n.row_number,
        CAST(n.lead_id AS VARCHAR) AS lead_id,
        n.created_at_given AS has_created_at,
        n.created_at,
        CASE WHEN n.source_id IS NULL AND n.source IS NULL
            THEN (SELECT d.id FROM lead_sources AS d WHERE d.name_key = lower(trim($default_source)))
            ELSE n.resolved_source_id END AS source_id,
        n.source_reason,
        n.utm_source,
        n.utm_medium,
        n.utm_campaign,
        n.status,
        CASE WHEN n.email IS NOT NULL THEN sha256(lower(n.email)) END AS email_sha256,
        n.converted_at_given AS has_converted_at,
        n.converted_at,
        n.value IS NOT NULL AS has_value,
        regexp_full_match(trim(CAST(n.value AS VARCHAR)),
            '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?') AS value_numeric,
        TRY_CAST(n.value AS DECIMAL(22, 6)) AS value,
        n.lost IS NOT NULL AS has_lost,
        TRY_CAST(n.lost AS BOOLEAN) AS lost,
        n.junk IS NOT NULL AS has_junk,
        TRY_CAST(n.junk AS BOOLEAN) AS junk
    FROM ingest_sourced AS n
),
checked AS (
    SELECT
        t.row_number,
        t.lead_id AS natural_key,
        t.lead_id,
        t.created_at,
        t.source_id,
        t.utm_source,
        t.utm_medium,
        t.utm_campaign,
        t.status,
        t.email_sha256,
        t.converted_at,
        t.value,
        coalesce(t.lost, false) AS lost,
        coalesce(t.junk, false) AS junk,
        CASE WHEN t.lead_id IS NULL THEN 'lead_id is missing' END AS reason_1,
        CASE WHEN NOT t.has_created_at THEN 'created_at is missing' END AS reason_2,
        CASE WHEN t.has_created_at AND t.created_at IS NULL
            THEN 'created_at is not an ISO 8601 timestamp' END AS reason_3,
        CASE WHEN t.created_at < TIMESTAMP '1970-01-01' OR t.created_at >= TIMESTAMP '2100-01-01'
            THEN 'created_at is outside 1970-2099' END AS reason_4,
        CASE WHEN t.has_converted_at AND t.converted_at IS NULL
            THEN 'converted_at is not an ISO 8601 timestamp' END AS reason_5,
        CASE WHEN t.converted_at < TIMESTAMP '1970-01-01' OR t.converted_at >= TIMESTAMP '2100-01-01'
            THEN 'converted_at is outside 1970-2099' END AS reason_6,
        CASE WHEN t.has_value AND t.value IS NULL AND NOT t.value_numeric
            THEN 'value is not a number' END AS reason_7,
        CASE WHEN t.has_value AND t.value IS NULL AND t.value_numeric
            THEN 'value is too large: at most 16 digits before the decimal point' END AS reason_8,
        CASE WHEN t.value < 0 THEN 'value is negative' END AS reason_9,
        CASE WHEN t.has_lost AND t.lost IS NULL THEN 'lost is not a boolean (true/false, 1/0)' END
            AS reason_10,
        CASE WHEN t.has_junk AND t.junk IS NULL THEN 'junk is not a boolean (true/false, 1/0)' END
            AS reason_11,
        t.source_reason AS reason_12
    FROM typed AS t
)
-- The reasons are joined only on rows that have one (few do): concat_ws costs.
SELECT
    * EXCLUDE (reason_1, reason_2, reason_3, reason_4, reason_5, reason_6, reason_7, reason_8,
               reason_9, reason_10, reason_11, reason_12),
    CASE WHEN coalesce(reason_1, reason_2, reason_3, reason_4, reason_5, reason_6, reason_7,
                       reason_8, reason_9, reason_10, reason_11, reason_12)
        IS NOT NULL
        THEN concat_ws('; ', reason_1, reason_2, reason_3, reason_4, reason_5, reason_6,
                             reason_7, reason_8, reason_9, reason_10, reason_11, reason_12)
    END AS reason
FROM checked
