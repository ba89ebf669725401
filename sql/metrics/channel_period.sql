-- A run's figures per channel for one period [$from, $to) inside its window, that do not depend
-- on the model: leads created (by the channel of their creation), converted leads and their
-- conversions and revenue (by the same channel), days from lead to conversion (median, p90),
-- converting journeys that touched the channel and their mean length, participation (share of
-- the period's converting journeys that touched the channel) and spend.
-- Grain: one row per channel with any of these. Reads run_lead_days, run_conversion_ids,
-- journey_channels, run_spend_days. Params: $run_id, $from, $to (TIMESTAMP, UTC).
WITH conv AS (
    SELECT
        conversion_no, lead_id, lead_channel, value, touches,
        date_diff('second', lead_created_at, converted_at) / 86400.0 AS days
    FROM run_conversion_ids
    WHERE run_id = $run_id AND converted_at >= $from AND converted_at < $to
),
leads AS (
    SELECT channel, sum(leads) AS leads
    FROM run_lead_days
    WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
    GROUP BY channel
),
converted AS (
    SELECT
        lead_channel AS channel,
        count(DISTINCT lead_id) AS converted_leads,
        count(*) AS conversions,
        sum(value) AS revenue,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS days_to_convert_median,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS days_to_convert_p90
    FROM conv
    GROUP BY lead_channel
),
touched AS (
    SELECT j.channel, count(*) AS journeys, avg(c.touches) AS touches_per_journey
    FROM journey_channels AS j
    JOIN conv AS c ON c.conversion_no = j.conversion_no
    WHERE j.run_id = $run_id
    GROUP BY j.channel
),
spent AS (
    SELECT channel, sum(spend) AS spend
    FROM run_spend_days
    WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
    GROUP BY channel
),
channels AS (
    SELECT channel FROM leads
    UNION SELECT channel FROM converted
    UNION SELECT channel FROM touched
    UNION SELECT channel FROM spent
)
SELECT
    ch.channel,
    coalesce(l.leads, 0) AS leads,
    coalesce(cv.converted_leads, 0) AS converted_leads,
    coalesce(cv.conversions, 0) AS conversions,
    coalesce(cv.revenue, 0.0) AS revenue,
    cv.days_to_convert_median,
    cv.days_to_convert_p90,
    coalesce(t.journeys, 0) AS journeys,
    t.touches_per_journey,
    coalesce(t.journeys, 0) * 1.0e0 / NULLIF((SELECT count(*) FROM conv), 0) AS participation,
    s.spend
FROM channels AS ch
LEFT JOIN leads AS l ON l.channel = ch.channel
LEFT JOIN converted AS cv ON cv.channel = ch.channel
LEFT JOIN touched AS t ON t.channel = ch.channel
LEFT JOIN spent AS s ON s.channel = ch.channel
ORDER BY ch.channel
