-- Touches of the file being ingested, typed, keyed, each with the reasons it is rejected (NULL
-- when good). touch_key is md5 of the file's touch_id, or of lead, time (epoch microseconds)
-- and what touched; the formula must never change, or re-loads would add duplicates.
-- Grain: one row per file row. Reads ingest_norm. Params: $reject_unknown_sources.
CREATE OR REPLACE TEMP TABLE ingest_valid AS
WITH typed AS (
    SELECT
        n.row_number,
        CAST(n.touch_id AS VARCHAR) AS touch_id,
        CAST(n.lead_id AS VARCHAR) AS lead_id,
        n.occurred_at_given AS has_occurred_at,
        n.occurred_at,
        n.channel,
        n.source_id IS NOT NULL AS has_source_id,
        TRY_CAST(n.source_id AS INTEGER) AS given_source_id,
        n.source AS source_name,
        n.utm_source,
        n.utm_medium,
        n.utm_campaign
    FROM ingest_norm AS n
),
resolved AS (
    SELECT
        t.*,
        by_id.id AS id_match,
        by_name.id AS name_match,
        known.lead_id IS NOT NULL AS known_lead,
        md5_number(CASE
            WHEN t.touch_id IS NOT NULL THEN 'id:' || t.touch_id
            ELSE concat_ws('|', 'h', t.lead_id, CAST(epoch_us(t.occurred_at) AS VARCHAR),
                coalesce(t.channel, ''), coalesce(CAST(t.given_source_id AS VARCHAR), ''),
                coalesce(lower(t.source_name), ''), coalesce(t.utm_source, ''),
                coalesce(t.utm_medium, ''), coalesce(t.utm_campaign, ''))
        END) AS touch_key
    FROM typed AS t
    LEFT JOIN leads AS known ON known.lead_id = t.lead_id  -- lead_id is unique in leads
    LEFT JOIN lead_sources AS by_id ON by_id.id = t.given_source_id
    LEFT JOIN lead_sources AS by_name ON by_name.name_key = lower(t.source_name)
)
SELECT
    r.row_number,
    r.touch_key AS natural_key,
    r.touch_key,
    r.touch_id,
    r.lead_id,
    r.occurred_at,
    r.channel,
    coalesce(r.id_match, r.name_match) AS source_id,
    r.utm_source,
    r.utm_medium,
    r.utm_campaign,
    NULLIF(concat_ws('; ',
        CASE WHEN r.lead_id IS NULL THEN 'lead_id is missing' END,
        CASE WHEN r.lead_id IS NOT NULL AND NOT r.known_lead
            THEN 'lead_id is unknown: load its lead first' END,
        CASE WHEN NOT r.has_occurred_at THEN 'occurred_at is missing' END,
        CASE WHEN r.has_occurred_at AND r.occurred_at IS NULL
            THEN 'occurred_at is not an ISO 8601 timestamp' END,
        CASE WHEN r.occurred_at < TIMESTAMP '1970-01-01' OR r.occurred_at >= TIMESTAMP '2100-01-01'
            THEN 'occurred_at is outside 1970-2099' END,
        CASE WHEN r.channel IS NULL AND NOT r.has_source_id AND r.source_name IS NULL
            AND (r.utm_source IS NULL OR r.utm_medium IS NULL)
            THEN 'nothing says what touched the lead: give channel, source_id, source, '
                 || 'or utm_source and utm_medium' END,
        CASE WHEN r.has_source_id AND r.given_source_id IS NULL THEN 'source_id is not an integer' END,
        CASE WHEN r.given_source_id IS NOT NULL AND r.id_match IS NULL
            THEN 'source_id is not in the lead-source registry' END,
        CASE WHEN NOT r.has_source_id AND r.source_name IS NOT NULL AND r.name_match IS NULL
            AND (length(r.source_name) > 150 OR $reject_unknown_sources)
            THEN 'source is not in the lead-source registry' END
    ), '') AS reason
FROM resolved AS r
