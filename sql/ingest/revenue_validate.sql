-- Revenue events of the file being ingested, typed and converted to the base currency, each with
-- the reasons it is rejected (NULL when good). A refund is stored negative whatever its sign.
-- Grain: one row per file row. Reads ingest_norm, ingest_rates. Params: $base_currency.
CREATE OR REPLACE TEMP TABLE ingest_valid AS
WITH typed AS (
    SELECT
        n.row_number,
        CAST(n.event_id AS VARCHAR) AS event_id,
        CAST(n.lead_id AS VARCHAR) AS lead_id,
        n.occurred_at_given AS has_occurred_at,
        n.occurred_at,
        n.amount IS NOT NULL AS has_amount,
        TRY_CAST(n.amount AS DECIMAL(18, 2)) AS amount_given,
        lower(coalesce(n.kind, 'won')) AS kind,
        upper(coalesce(n.currency, $base_currency)) AS currency
    FROM ingest_norm AS n
)
SELECT
    t.row_number,
    t.event_id AS natural_key,
    t.event_id,
    t.lead_id,
    t.occurred_at,
    CAST(round(
        CASE WHEN t.kind = 'refund' THEN -abs(t.amount_given) ELSE t.amount_given END * r.rate, 2
    ) AS DECIMAL(18, 2)) AS amount,
    t.kind,
    t.currency,
    CASE WHEN t.kind = 'refund' THEN -abs(t.amount_given) ELSE t.amount_given END
        AS amount_original,
    NULLIF(concat_ws('; ',
        CASE WHEN t.event_id IS NULL THEN 'event_id is missing' END,
        CASE WHEN t.lead_id IS NULL THEN 'lead_id is missing' END,
        CASE WHEN t.lead_id IS NOT NULL AND known.lead_id IS NULL
            THEN 'lead_id is unknown: load its lead first' END,
        CASE WHEN NOT t.has_occurred_at THEN 'occurred_at is missing' END,
        CASE WHEN t.has_occurred_at AND t.occurred_at IS NULL
            THEN 'occurred_at is not an ISO 8601 timestamp' END,
        CASE WHEN t.occurred_at < TIMESTAMP '1970-01-01' OR t.occurred_at >= TIMESTAMP '2100-01-01'
            THEN 'occurred_at is outside 1970-2099' END,
        CASE WHEN NOT t.has_amount THEN 'amount is missing' END,
        CASE WHEN t.has_amount AND t.amount_given IS NULL THEN 'amount is not a number' END,
        CASE WHEN t.amount_given < 0 AND t.kind <> 'refund'
            THEN 'amount is negative: only kind refund may be' END,
        CASE WHEN t.kind NOT IN ('won', 'invoice', 'refund')
            THEN 'kind is not one of won, invoice, refund' END,
        CASE WHEN r.rate IS NULL
            THEN 'currency has no rate to the base currency: add it under ingest.currency_rates' END
    ), '') AS reason
FROM typed AS t
LEFT JOIN leads AS known ON known.lead_id = t.lead_id  -- lead_id is unique in leads
LEFT JOIN ingest_rates AS r ON r.currency = t.currency
