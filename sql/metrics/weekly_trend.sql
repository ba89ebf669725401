-- Leads, and each model's conversions and revenue, per ISO week (Monday, UTC) and channel over
-- [$from, $to) of a run. Grain: (week, channel, model); leads repeat on each model's row, and a
-- week with leads but no credit has one row with model NULL.
-- Reads run_lead_days, channel_day_credits. Params: $run_id, $from, $to (TIMESTAMP, UTC).
WITH leads AS (
    SELECT CAST(date_trunc('week', day) AS DATE) AS week, channel, sum(leads) AS leads
    FROM run_lead_days
    WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
    GROUP BY 1, 2
),
credit AS (
    SELECT
        CAST(date_trunc('week', day) AS DATE) AS week, channel, model,
        sum(conversions) AS conversions, sum(value) AS revenue
    FROM channel_day_credits
    WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
    GROUP BY 1, 2, 3
)
SELECT
    coalesce(c.week, l.week) AS week,
    coalesce(c.channel, l.channel) AS channel,
    c.model,
    coalesce(l.leads, 0) AS leads,
    coalesce(c.conversions, 0.0) AS conversions,
    coalesce(c.revenue, 0.0) AS revenue
FROM credit AS c
FULL OUTER JOIN leads AS l ON l.week = c.week AND l.channel = c.channel
ORDER BY week, channel, model
