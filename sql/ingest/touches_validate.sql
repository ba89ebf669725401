-- Touches of the file being ingested, typed, keyed, each with the reasons it is rejected (NULL
-- when good). touch_key is md5 of the file's touch_id, or of lead, time (epoch microseconds)
-- and what touched; the formula must never change, or re-loads would add duplicates.
-- The strings hashed are built with concat, not concat_ws: on every row that can be stored
-- (lead and time given, the rest coalesced to '') both give the same text, and concat is faster.
-- A query (store_valid keeps its rows as ingest_valid). Grain: one row per file row.
-- Reads ingest_sourced, leads. Params: none.
WITH typed AS (
    SELECT
        n.row_number,
        CAST(n.touch_id AS VARCHAR) AS touch_id,
        CAST(n.lead_id AS VARCHAR) AS lead_id,
        n.occurred_at_given AS has_occurred_at,
        n.occurred_at,
        n.channel,
        n.source_id AS given_source_id,
        n.source AS source_name,
        n.resolved_source_id AS source_id,
        n.source_reason,
        n.utm_source,
        n.utm_medium,
        n.utm_campaign,
        known.lead_id IS NOT NULL AS known_lead,
        known.lead_no
    FROM ingest_sourced AS n
    LEFT JOIN leads AS known ON known.lead_id = n.lead_id  -- lead_id is unique in leads
),
checked AS (
    SELECT
        t.row_number,
        md5_number(CASE
            WHEN t.touch_id IS NOT NULL THEN concat('id:', t.touch_id)
            ELSE concat('h|', t.lead_id, '|', CAST(epoch_us(t.occurred_at) AS VARCHAR),
                '|', coalesce(t.channel, ''),
                -- one argument, folded to a constant when the file has none of these columns
                '|' || coalesce(CAST(t.given_source_id AS VARCHAR), '')
                || '|' || coalesce(lower(t.source_name), '') || '|' || coalesce(t.utm_source, '')
                || '|' || coalesce(t.utm_medium, '') || '|' || coalesce(t.utm_campaign, ''))
        END) AS natural_key,
        t.touch_id,
        t.lead_id,
        t.lead_no,
        t.occurred_at,
        t.channel,
        t.source_id,
        t.utm_source,
        t.utm_medium,
        t.utm_campaign,
        CASE WHEN t.lead_id IS NULL THEN 'lead_id is missing' END AS reason_1,
        CASE WHEN t.lead_id IS NOT NULL AND NOT t.known_lead
            THEN 'lead_id is unknown: load its lead first' END AS reason_2,
        CASE WHEN NOT t.has_occurred_at THEN 'occurred_at is missing' END AS reason_3,
        CASE WHEN t.has_occurred_at AND t.occurred_at IS NULL
            THEN 'occurred_at is not an ISO 8601 timestamp' END AS reason_4,
        CASE WHEN t.occurred_at < TIMESTAMP '1970-01-01' OR t.occurred_at >= TIMESTAMP '2100-01-01'
            THEN 'occurred_at is outside 1970-2099' END AS reason_5,
        CASE WHEN t.channel IS NULL AND t.given_source_id IS NULL AND t.source_name IS NULL
            AND (t.utm_source IS NULL OR t.utm_medium IS NULL)
            THEN 'nothing says what touched the lead: give channel, source_id, source, '
            || 'or utm_source and utm_medium' END AS reason_6,
        t.source_reason AS reason_7
    FROM typed AS t
)
-- The reasons are joined only on rows that have one (few do): concat_ws costs.
SELECT
    * EXCLUDE (reason_1, reason_2, reason_3, reason_4, reason_5, reason_6, reason_7),
    CASE WHEN coalesce(reason_1, reason_2, reason_3, reason_4, reason_5, reason_6, reason_7)
        IS NOT NULL
        THEN concat_ws('; ', reason_1, reason_2, reason_3, reason_4, reason_5, reason_6,
                             reason_7)
    END AS reason
FROM checked
