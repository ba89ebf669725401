-- Spend rows of the file being ingested, typed and converted to the base currency, each with the
-- reasons it is rejected (NULL when good). A row repeating the key (date, source or channel,
-- campaign) of an earlier row of the file is rejected: which amount is meant is unclear.
-- Amounts keep up to 6 decimals (DECIMAL(22, 6)); a number with more than 16 digits before the
-- point, as given or once converted, is too large, not "not a number" (amount_numeric tells
-- them apart). The product with the rate is taken only when it fits, as in revenue_validate.
-- A query (store_valid keeps its rows as ingest_valid). Grain: one row per file row.
-- Reads ingest_sourced, ingest_rates. Params: $base_currency.
WITH typed AS (
    SELECT
        n.row_number,
        n.date IS NOT NULL AS has_date,
        TRY_CAST(n.date AS DATE) AS spend_date,
        n.source_id IS NULL AND n.source IS NULL AS no_source,
        n.resolved_source_id AS source_id,
        n.source_reason,
        n.channel,
        coalesce(n.campaign, '') AS campaign,
        n.amount IS NOT NULL AS has_amount,
        regexp_full_match(trim(CAST(n.amount AS VARCHAR)),
            '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?') AS amount_numeric,
        TRY_CAST(n.amount AS DECIMAL(22, 6)) AS amount_given,
        upper(coalesce(n.currency, $base_currency)) AS currency
    FROM ingest_sourced AS n
),
resolved AS (
    SELECT
        t.*,
        r.rate,
        CASE WHEN abs(CAST(t.amount_given AS DOUBLE) * CAST(r.rate AS DOUBLE)) < 1e20
            THEN TRY_CAST(round(CAST(t.amount_given AS DECIMAL(38, 6)) * r.rate, 6)
                AS DECIMAL(22, 6)) END AS amount_base
    FROM typed AS t
    LEFT JOIN ingest_rates AS r ON r.currency = t.currency
),
keyed AS (
    SELECT
        r.*,
        min(r.row_number) OVER (
            PARTITION BY r.spend_date, r.source_id, r.channel, r.campaign
        ) AS first_row
    FROM resolved AS r
),
checked AS (
    SELECT
        k.row_number,
        k.row_number AS natural_key, -- repeats of the key are rejected above, not skipped
        k.spend_date,
        k.source_id,
        k.channel,
        k.campaign,
        k.amount_base AS amount,
        k.currency,
        k.amount_given AS amount_original,
        CASE WHEN NOT k.has_date THEN 'date is missing' END AS reason_1,
        CASE WHEN k.has_date AND k.spend_date IS NULL THEN 'date is not an ISO 8601 date' END
            AS reason_2,
        CASE WHEN k.spend_date < DATE '1970-01-01' OR k.spend_date >= DATE '2100-01-01'
            THEN 'date is outside 1970-2099' END AS reason_3,
        CASE WHEN k.channel IS NULL AND k.no_source
            THEN 'nothing says where it was spent: give source_id, source or channel' END
                AS reason_4,
        k.source_reason AS reason_5,
        CASE WHEN NOT k.has_amount THEN 'amount is missing' END AS reason_6,
        CASE WHEN k.has_amount AND k.amount_given IS NULL AND NOT k.amount_numeric
            THEN 'amount is not a number' END AS reason_7,
        CASE WHEN k.has_amount AND k.amount_given IS NULL AND k.amount_numeric
            THEN 'amount is too large: at most 16 digits before the decimal point' END AS reason_8,
        CASE WHEN k.amount_given < 0 THEN 'amount is negative' END AS reason_9,
        CASE WHEN k.rate IS NULL
            THEN 'currency has no rate to the base currency: add it under ingest.currency_rates' END
                AS reason_10,
        CASE WHEN k.amount_given IS NOT NULL AND k.rate IS NOT NULL AND k.amount_base IS NULL
            THEN 'amount is too large in the base currency: at most 16 digits before the '
            || 'decimal point' END AS reason_11,
        CASE WHEN k.spend_date IS NOT NULL AND k.row_number > k.first_row
            THEN 'repeats the date, source or channel and campaign of an earlier row' END
                AS reason_12
    FROM keyed AS k
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
