-- Analyst view: each attribution run's figures per ISO week, channel and model, as in the
-- weekly report. Grain: one row per (run_id, week, channel, model) for every week and channel
-- of the run's window with leads, credit or spend, and every model of the run.
-- Reads run_lead_days, channel_day_credits, run_spend_days, attribution_runs. Params: none.
-- Columns:
--   run_id                  INTEGER  the attribution run (attribution_runs.run_id)
--   week                    DATE     Monday of the ISO week (UTC)
--   complete_week           BOOLEAN  all seven days of the week lie inside the run's window;
--                                    false for a partial first or last week
--   channel                 VARCHAR  the channel
--   model                   VARCHAR  the attribution model (one of attribution_runs.models)
--   leads                   BIGINT   leads created in the week (junk left out) under the channel
--                                    of their creation; the same on every model's row
--   attributed_conversions  DOUBLE   the model's credit for the week's conversions
--   attributed_revenue      DOUBLE   the model's value credit for the week's conversions
--   spend                   DOUBLE   spend of the week booked to the channel; 0 when none
--   cost_per_lead           DOUBLE   spend / leads; NULL when leads = 0
--   cac                     DOUBLE   spend / attributed_conversions; NULL when that is 0
--   roas                    DOUBLE   attributed_revenue / spend; NULL when spend = 0
CREATE VIEW channel_weekly_performance AS
WITH leads AS (
    SELECT run_id, CAST(date_trunc('week', day) AS DATE) AS week, channel,
        CAST(sum(leads) AS BIGINT) AS leads
    FROM run_lead_days
    GROUP BY run_id, CAST(date_trunc('week', day) AS DATE), channel
),
credit AS (
    SELECT
        run_id, CAST(date_trunc('week', day) AS DATE) AS week, channel, model,
        sum(conversions) AS conversions, sum(value) AS revenue
    FROM channel_day_credits
    GROUP BY run_id, CAST(date_trunc('week', day) AS DATE), channel, model
),
spent AS (
    SELECT run_id, CAST(date_trunc('week', day) AS DATE) AS week, channel, sum(spend) AS spend
    FROM run_spend_days
    GROUP BY run_id, CAST(date_trunc('week', day) AS DATE), channel
),
cells AS (
    SELECT run_id, week, channel FROM leads
    UNION SELECT run_id, week, channel FROM credit
    UNION SELECT run_id, week, channel FROM spent
),
run_models AS (
    SELECT run_id, window_start, window_end, unnest(models) AS model
    FROM attribution_runs
),
cell AS (
    SELECT
        c.run_id,
        c.week,
        CAST(c.week AS TIMESTAMP) >= m.window_start
            AND CAST(c.week AS TIMESTAMP) + INTERVAL '7' DAY <= m.window_end AS complete_week,
        c.channel,
        m.model,
        coalesce(l.leads, 0) AS leads,
        coalesce(cr.conversions, 0.0) AS attributed_conversions,
        coalesce(cr.revenue, 0.0) AS attributed_revenue,
        coalesce(s.spend, 0.0) AS spend
    FROM cells AS c
    JOIN run_models AS m ON m.run_id = c.run_id
    LEFT JOIN leads AS l ON l.run_id = c.run_id AND l.week = c.week AND l.channel = c.channel
    LEFT JOIN credit AS cr
      ON cr.run_id = c.run_id AND cr.week = c.week AND cr.channel = c.channel
     AND cr.model = m.model
    LEFT JOIN spent AS s ON s.run_id = c.run_id AND s.week = c.week AND s.channel = c.channel
)
SELECT
    run_id,
    week,
    complete_week,
    channel,
    model,
    leads,
    attributed_conversions,
    attributed_revenue,
    spend,
    spend / NULLIF(leads, 0) AS cost_per_lead,
    spend / NULLIF(attributed_conversions, 0) AS cac,
    attributed_revenue / NULLIF(spend, 0) AS roas
FROM cell
