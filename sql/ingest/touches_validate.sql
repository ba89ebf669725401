-- Touches of the file being ingested, typed, keyed, each with the reasons it is rejected (NULL
-- when good). touch_key (docs/warehouse.md; migration 0018 keyed the older touches so) is md5 of
-- 'id:' and the file's touch_id when it has one; else the lead's number in the high 64 bits
-- and, in the low ones, the time (epoch microseconds) XOR md5_number_lower of what touched as
-- stored (channel|source_id|utm_source|utm_medium|utm_campaign, NULL as ''). The formula must
-- never change, or re-loads would add duplicates. md5 costs a quarter of a microsecond a
-- call, so what touched is hashed once per distinct value in the file (a file has few), not
-- once a row; the lead and time take integer operations only.
-- A query (store_valid keeps its rows as ingest_valid). Grain: one row per file row.
-- Reads ingest_sourced, leads. Params: none.
WITH what AS (
    SELECT
        w.*,
        md5_number_lower(concat(coalesce(w.channel, ''), '|',
            coalesce(CAST(w.source_id AS VARCHAR), ''), '|', coalesce(w.utm_source, ''), '|',
            coalesce(w.utm_medium, ''), '|', coalesce(w.utm_campaign, ''))) AS what_hash
    FROM (
        SELECT DISTINCT channel, resolved_source_id AS source_id, utm_source, utm_medium,
            utm_campaign
        FROM ingest_sourced
    ) AS w
),
typed AS (
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
        known.lead_no,
        what.what_hash
    FROM ingest_sourced AS n
    LEFT JOIN leads AS known ON known.lead_id = n.lead_id  -- lead_id is unique in leads
    LEFT JOIN what  -- exactly one row: what is the file's own distinct values
        ON what.channel IS NOT DISTINCT FROM n.channel
        AND what.source_id IS NOT DISTINCT FROM n.resolved_source_id
        AND what.utm_source IS NOT DISTINCT FROM n.utm_source
        AND what.utm_medium IS NOT DISTINCT FROM n.utm_medium
        AND what.utm_campaign IS NOT DISTINCT FROM n.utm_campaign
),
checked AS (
    SELECT
        t.row_number,
        -- NULL only on rows rejected (lead unknown, time missing or before 1970).
        CASE WHEN t.touch_id IS NOT NULL THEN md5_number(concat('id:', t.touch_id))
            ELSE (CAST(t.lead_no AS UHUGEINT) << 64)
                | xor(TRY_CAST(epoch_us(t.occurred_at) AS UBIGINT), t.what_hash)
        END AS natural_key,
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
