-- A run's figures per lead source for one period [$from, $to) inside its window, that do not
-- depend on the model: leads created with the source, converted leads of the source and their
-- conversions and revenue, days from lead to conversion (median, p90), and spend.
-- Grain: one row per source (NULL: no source) with any of these or with credit under a model
-- (a source may only touch the period's journeys); the source's name and channel from the
-- registry. Reads run_lead_days, run_conversion_ids, run_spend_days, source_credits,
-- lead_sources.
-- Params: $run_id, $from, $to (TIMESTAMP, UTC).
WITH conv AS (
    SELECT
        lead_id, lead_source_id AS source_id, value,
        date_diff('second', lead_created_at, converted_at) / 86400.0 AS days
    FROM run_conversion_ids
    WHERE run_id = $run_id AND converted_at >= $from AND converted_at < $to
),
leads AS (
    SELECT source_id, sum(leads) AS leads
    FROM run_lead_days
    WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
    GROUP BY source_id
),
converted AS (
    SELECT
        source_id,
        count(DISTINCT lead_id) AS converted_leads,
        count(*) AS conversions,
        sum(value) AS revenue,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS days_to_convert_median,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS days_to_convert_p90
    FROM conv
    GROUP BY source_id
),
spent AS (
    SELECT source_id, sum(spend) AS spend
    FROM run_spend_days
    WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
      AND source_id IS NOT NULL
    GROUP BY source_id
),
credited AS (
    SELECT DISTINCT source_id
    FROM source_credits
    WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
),
sources AS (
    SELECT source_id FROM leads
    UNION SELECT source_id FROM converted
    UNION SELECT source_id FROM spent
    UNION SELECT source_id FROM credited
)
SELECT
    s.source_id,
    coalesce(ls.name, '(no source)') AS source,
    coalesce(ls.channel, 'Unassigned') AS channel,
    coalesce(l.leads, 0) AS leads,
    coalesce(cv.converted_leads, 0) AS converted_leads,
    coalesce(cv.conversions, 0) AS conversions,
    coalesce(cv.revenue, 0.0) AS revenue,
    cv.days_to_convert_median,
    cv.days_to_convert_p90,
    sp.spend
FROM sources AS s
LEFT JOIN lead_sources AS ls ON ls.id = s.source_id
LEFT JOIN leads AS l ON l.source_id IS NOT DISTINCT FROM s.source_id
LEFT JOIN converted AS cv ON cv.source_id IS NOT DISTINCT FROM s.source_id
LEFT JOIN spent AS sp ON sp.source_id = s.source_id
ORDER BY source, s.source_id
