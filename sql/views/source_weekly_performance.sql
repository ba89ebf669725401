-- Analyst view: each attribution run's figures per ISO week, lead source and model.
-- Grain: one row per (run_id, week, source_id, model) for every week and source of the run's
-- window with leads, credit or spend, and every model of the run; source_id NULL gathers
-- leads and touches with no lead source. Credit of runs stored before per-day source credit
-- existed (source_credits.day NULL) is left out.
-- Reads run_lead_days, source_credits, run_spend_days, attribution_runs, lead_sources.
-- Params: none.
-- Columns:
--   run_id                  INTEGER  the attribution run (attribution_runs.run_id)
--   week                    DATE     Monday of the ISO week (UTC)
--   complete_week           BOOLEAN  all seven days of the week lie inside the run's window
--   source_id               INTEGER  the lead source (lead_sources.id); NULL: no lead source
--   source                  VARCHAR  the source's name today; '(no source)' for NULL
--   channel                 VARCHAR  the source's channel in the registry today; 'Unassigned'
--                                    for NULL
--   model                   VARCHAR  the attribution model (one of attribution_runs.models)
--   leads                   BIGINT   leads created in the week with this source (junk left
--                                    out); the same on every model's row
--   attributed_conversions  DOUBLE   the model's credit to touches of this source, for the
--                                    week's conversions
--   attributed_revenue      DOUBLE   the model's value credit to touches of this source
--   spend                   DOUBLE   spend of the week booked to this source; 0 when none
--                                    (spend given by channel only is in
--                                    channel_weekly_performance, not here)
--   cost_per_lead           DOUBLE   spend / leads; NULL when leads = 0
--   cac                     DOUBLE   spend / attributed_conversions; NULL when that is 0
--   roas                    DOUBLE   attributed_revenue / spend; NULL when spend = 0
CREATE VIEW source_weekly_performance AS
WITH leads AS (
    SELECT run_id, CAST(date_trunc('week', day) AS DATE) AS week, source_id,
        CAST(sum(leads) AS BIGINT) AS leads
    FROM run_lead_days
    GROUP BY run_id, CAST(date_trunc('week', day) AS DATE), source_id
),
credit AS (
    SELECT
        run_id, CAST(date_trunc('week', day) AS DATE) AS week, source_id, model,
        sum(conversions) AS conversions, sum(value) AS revenue
    FROM source_credits
    WHERE day IS NOT NULL
    GROUP BY run_id, CAST(date_trunc('week', day) AS DATE), source_id, model
),
spent AS (
    SELECT run_id, CAST(date_trunc('week', day) AS DATE) AS week, source_id, sum(spend) AS spend
    FROM run_spend_days
    WHERE source_id IS NOT NULL
    GROUP BY run_id, CAST(date_trunc('week', day) AS DATE), source_id
),
cells AS (
    SELECT run_id, week, source_id FROM leads
    UNION SELECT run_id, week, source_id FROM credit
    UNION SELECT run_id, week, source_id FROM spent
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
        c.source_id,
        coalesce(ls.name, '(no source)') AS source,
        coalesce(ls.channel, 'Unassigned') AS channel,
        m.model,
        coalesce(l.leads, 0) AS leads,
        coalesce(cr.conversions, 0.0) AS attributed_conversions,
        coalesce(cr.revenue, 0.0) AS attributed_revenue,
        coalesce(s.spend, 0.0) AS spend
    FROM cells AS c
    JOIN run_models AS m ON m.run_id = c.run_id
    LEFT JOIN lead_sources AS ls ON ls.id = c.source_id
    LEFT JOIN leads AS l
      ON l.run_id = c.run_id AND l.week = c.week
     AND l.source_id IS NOT DISTINCT FROM c.source_id
    LEFT JOIN credit AS cr
      ON cr.run_id = c.run_id AND cr.week = c.week
     AND cr.source_id IS NOT DISTINCT FROM c.source_id AND cr.model = m.model
    LEFT JOIN spent AS s ON s.run_id = c.run_id AND s.week = c.week AND s.source_id = c.source_id
)
SELECT
    run_id,
    week,
    complete_week,
    source_id,
    source,
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
