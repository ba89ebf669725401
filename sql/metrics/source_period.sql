-- A run's figures per lead source for one period [$from, $to) inside its window, that do not
-- depend on the model: leads created with the source, converted leads of the source and their
-- conversions and revenue, days from lead to conversion (median, p90), and spend. What has no
-- source is reported per channel ("Paid Search, source unknown"), never as one anonymous source.
-- Grain: one row per source, and per channel for what has none (source_key: the source's id,
-- or 'unknown:' and the channel), with any of these or with credit under a model (a source may
-- only touch the period's journeys); the source's name and channel from the registry.
-- Reads run_lead_days, run_conversion_ids, run_spend_days, source_credits, lead_sources.
-- Params: $run_id, $from, $to (TIMESTAMP, UTC).
WITH conv AS (
    SELECT
        lead_id, lead_source_id AS source_id,
        CASE WHEN lead_source_id IS NULL THEN lead_channel END AS unknown_channel, value,
        date_diff('second', lead_created_at, converted_at) / 86400.0 AS days
    FROM run_conversion_ids
    WHERE run_id = $run_id AND converted_at >= $from AND converted_at < $to
),
leads AS (
    SELECT
        source_id, CASE WHEN source_id IS NULL THEN channel END AS unknown_channel,
        sum(leads) AS leads
    FROM run_lead_days
    WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
    GROUP BY source_id, CASE WHEN source_id IS NULL THEN channel END
),
converted AS (
    SELECT
        source_id,
        unknown_channel,
        count(DISTINCT lead_id) AS converted_leads,
        count(*) AS conversions,
        sum(value) AS revenue,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS days_to_convert_median,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS days_to_convert_p90
    FROM conv
    GROUP BY source_id, unknown_channel
),
spent AS (
    SELECT source_id, sum(spend) AS spend
    FROM run_spend_days
    WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
      AND source_id IS NOT NULL
    GROUP BY source_id
),
credited AS (
    SELECT DISTINCT
        source_id,
        CASE WHEN source_id IS NULL THEN coalesce(channel, 'Unassigned') END AS unknown_channel
    FROM source_credits
    WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
),
sources AS (
    SELECT source_id, unknown_channel FROM leads
    UNION SELECT source_id, unknown_channel FROM converted
    UNION SELECT source_id, CAST(NULL AS VARCHAR) FROM spent
    UNION SELECT source_id, unknown_channel FROM credited
)
SELECT
    coalesce(CAST(s.source_id AS VARCHAR), 'unknown:' || s.unknown_channel) AS source_key,
    s.source_id,
    coalesce(ls.name, s.unknown_channel || ', source unknown') AS source,
    coalesce(ls.channel, s.unknown_channel) AS channel,
    coalesce(l.leads, 0) AS leads,
    coalesce(cv.converted_leads, 0) AS converted_leads,
    coalesce(cv.conversions, 0) AS conversions,
    coalesce(cv.revenue, 0.0) AS revenue,
    cv.days_to_convert_median,
    cv.days_to_convert_p90,
    sp.spend
FROM sources AS s
LEFT JOIN lead_sources AS ls ON ls.id = s.source_id
LEFT JOIN leads AS l
  ON l.source_id IS NOT DISTINCT FROM s.source_id
 AND l.unknown_channel IS NOT DISTINCT FROM s.unknown_channel
LEFT JOIN converted AS cv
  ON cv.source_id IS NOT DISTINCT FROM s.source_id
 AND cv.unknown_channel IS NOT DISTINCT FROM s.unknown_channel
LEFT JOIN spent AS sp ON sp.source_id = s.source_id
ORDER BY s.source_id IS NULL, source, s.source_id
