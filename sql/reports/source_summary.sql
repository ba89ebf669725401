-- Per lead source: leads, converted leads, conversion rate, won revenue and spend, over leads
-- created in [$start, $end). A converted lead has at least one revenue event of kind 'won';
-- won revenue sums those events' amounts (base currency); junk leads are left out and counted.
-- Spend is the spend booked to the source in the same dates. Leads without a source form the
-- row "(no source)". Grain: one row per source with leads or spend, most leads first.
-- Params: $start, $end (TIMESTAMP, UTC).
WITH period_leads AS (
    SELECT l.lead_id, l.source_id, l.junk
    FROM leads AS l
    WHERE l.created_at >= $start AND l.created_at < $end
),
won AS (
    SELECT r.lead_id, sum(r.amount) AS won_revenue
    FROM revenue_events AS r
    WHERE r.kind = 'won'
    GROUP BY r.lead_id
),
per_source AS (
    SELECT
        p.source_id,
        count_if(NOT p.junk) AS leads,
        count_if(NOT p.junk AND w.lead_id IS NOT NULL) AS converted_leads,
        coalesce(sum(CASE WHEN NOT p.junk THEN w.won_revenue END), 0) AS won_revenue,
        count_if(p.junk) AS junk_leads
    FROM period_leads AS p
    LEFT JOIN won AS w ON w.lead_id = p.lead_id
    GROUP BY p.source_id
),
period_spend AS (
    SELECT s.source_id, sum(s.amount) AS spend
    FROM spend AS s
    WHERE s.source_id IS NOT NULL
      AND s.spend_date >= CAST($start AS DATE) AND s.spend_date < CAST($end AS DATE)
    GROUP BY s.source_id
)
SELECT
    coalesce(ls.name, '(no source)') AS source,
    coalesce(ls.channel, 'Unassigned') AS channel,
    coalesce(p.leads, 0) AS leads,
    coalesce(p.converted_leads, 0) AS converted_leads,
    round(1.0e0 * p.converted_leads / NULLIF(p.leads, 0), 4) AS conversion_rate,
    CAST(coalesce(p.won_revenue, 0) AS DECIMAL(18, 2)) AS won_revenue,
    CAST(coalesce(sp.spend, 0) AS DECIMAL(18, 2)) AS spend,
    coalesce(p.junk_leads, 0) AS junk_leads
FROM per_source AS p
FULL OUTER JOIN period_spend AS sp ON sp.source_id = p.source_id
LEFT JOIN lead_sources AS ls ON ls.id = coalesce(p.source_id, sp.source_id)
ORDER BY leads DESC, source
