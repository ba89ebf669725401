-- Revenue events of the file being ingested, typed and converted to the base currency, each with
-- the reasons it is rejected (NULL when good). A refund is stored negative whatever its sign.
-- Amounts keep up to 6 decimals (DECIMAL(22, 6)); a number with more than 16 digits before the
-- point, as given or once converted, is too large, not "not a number" (amount_numeric tells
-- them apart). DECIMAL(38, 6) times the rate's DECIMAL(18, 8) is a DECIMAL(38, 14), which
-- fails with an error past 24 digits: the product is taken only when its double is below 1e20.
-- A query (store_valid keeps its rows as ingest_valid). Grain: one row per file row.
-- Reads ingest_norm, ingest_rates. Params: $base_currency.
WITH typed AS (
    SELECT
        n.row_number,
        CAST(n.event_id AS VARCHAR) AS event_id,
        CAST(n.lead_id AS VARCHAR) AS lead_id,
        n.occurred_at_given AS has_occurred_at,
        n.occurred_at,
        n.amount IS NOT NULL AS has_amount,
        regexp_full_match(trim(CAST(n.amount AS VARCHAR)),
            '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?') AS amount_numeric,
        TRY_CAST(n.amount AS DECIMAL(22, 6)) AS amount_given,
        lower(coalesce(n.kind, 'won')) AS kind,
        upper(coalesce(n.currency, $base_currency)) AS currency
    FROM ingest_norm AS n
),
converted AS (
    SELECT
        t.*,
        CASE WHEN t.kind = 'refund' THEN -abs(t.amount_given) ELSE t.amount_given END
            AS amount_signed,
        r.rate
    FROM typed AS t
    LEFT JOIN ingest_rates AS r ON r.currency = t.currency
),
priced AS (
    SELECT
        c.*,
        CASE WHEN abs(CAST(c.amount_signed AS DOUBLE) * CAST(c.rate AS DOUBLE)) < 1e20
            THEN TRY_CAST(round(CAST(c.amount_signed AS DECIMAL(38, 6)) * c.rate, 6)
                AS DECIMAL(22, 6)) END AS amount_base
    FROM converted AS c
),
checked AS (
    SELECT
        p.row_number,
        p.event_id AS natural_key,
        p.event_id,
        p.lead_id,
        known.lead_no,
        p.occurred_at,
        p.amount_base AS amount,
        p.kind,
        p.currency,
        p.amount_signed AS amount_original,
        CASE WHEN p.event_id IS NULL THEN 'event_id is missing' END AS reason_1,
        CASE WHEN p.lead_id IS NULL THEN 'lead_id is missing' END AS reason_2,
        CASE WHEN p.lead_id IS NOT NULL AND known.lead_id IS NULL
            THEN 'lead_id is unknown: load its lead first' END AS reason_3,
        CASE WHEN NOT p.has_occurred_at THEN 'occurred_at is missing' END AS reason_4,
        CASE WHEN p.has_occurred_at AND p.occurred_at IS NULL
            THEN 'occurred_at is not an ISO 8601 timestamp' END AS reason_5,
        CASE WHEN p.occurred_at < TIMESTAMP '1970-01-01' OR p.occurred_at >= TIMESTAMP '2100-01-01'
            THEN 'occurred_at is outside 1970-2099' END AS reason_6,
        CASE WHEN NOT p.has_amount THEN 'amount is missing' END AS reason_7,
        CASE WHEN p.has_amount AND p.amount_given IS NULL AND NOT p.amount_numeric
            THEN 'amount is not a number' END AS reason_8,
        CASE WHEN p.has_amount AND p.amount_given IS NULL AND p.amount_numeric
            THEN 'amount is too large: at most 16 digits before the decimal point' END AS reason_9,
        CASE WHEN p.amount_given < 0 AND p.kind <> 'refund'
            THEN 'amount is negative: only kind refund may be' END AS reason_10,
        CASE WHEN p.kind NOT IN ('won', 'invoice', 'refund')
            THEN 'kind is not one of won, invoice, refund' END AS reason_11,
        CASE WHEN p.rate IS NULL
            THEN 'currency has no rate to the base currency: add it under ingest.currency_rates' END
                AS reason_12,
        CASE WHEN p.amount_signed IS NOT NULL AND p.rate IS NOT NULL AND p.amount_base IS NULL
            THEN 'amount is too large in the base currency: at most 16 digits before the '
            || 'decimal point' END AS reason_13
    FROM priced AS p
    LEFT JOIN leads AS known ON known.lead_id = p.lead_id  -- lead_id is unique in leads
)
-- The reasons are joined only on rows that have one (few do): concat_ws costs.
SELECT
    * EXCLUDE (reason_1, reason_2, reason_3, reason_4, reason_5, reason_6, reason_7, reason_8,
               reason_9, reason_10, reason_11, reason_12, reason_13),
    CASE WHEN coalesce(reason_1, reason_2, reason_3, reason_4, reason_5, reason_6, reason_7,
                       reason_8, reason_9, reason_10, reason_11, reason_12, reason_13)
        IS NOT NULL
        THEN concat_ws('; ', reason_1, reason_2, reason_3, reason_4, reason_5, reason_6,
                             reason_7, reason_8, reason_9, reason_10, reason_11, reason_12,
                             reason_13)
    END AS reason
FROM checked
