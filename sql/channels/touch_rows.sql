-- The rows channel mapping reads: every touch, and every lead's creation that names a source
-- or carries a UTM value (a touch of its source at its created_at; a lead with neither, of
-- unknown origin, adds none), with the values the rules match. Made a temporary view,
-- run_touch_rows, with its parameters as literals (DuckDB views take no parameters), that
-- mapping_keys.sql, map_touches.sql and journeys/run_touches.sql read. Portable SQL.
-- Grain: one row per row of touches plus one per row of leads.
-- Reads touches, leads. Params: $since, $until (TIMESTAMP or NULL): only touches in
-- [since, until), for a run; $leads_since (TIMESTAMP or NULL): only lead creations in
-- [leads_since, until).
SELECT
    t.lead_id, t.lead_no, t.occurred_at, t.batch_id, t.row_number, false AS is_lead_creation,
    t.source_id, t.channel, t.utm_source, t.utm_medium, t.utm_campaign
FROM touches AS t
WHERE ($since IS NULL OR t.occurred_at >= $since) AND ($until IS NULL OR t.occurred_at < $until)
UNION ALL
SELECT
    l.lead_id, l.lead_no, l.created_at, l.batch_id, l.row_number, true,
    l.source_id, CAST(NULL AS VARCHAR), l.utm_source, l.utm_medium, l.utm_campaign
FROM leads AS l
WHERE ($leads_since IS NULL OR l.created_at >= $leads_since)
  AND ($until IS NULL OR l.created_at < $until)
  AND (l.source_id IS NOT NULL OR NULLIF(trim(l.utm_source), '') IS NOT NULL
      OR NULLIF(trim(l.utm_medium), '') IS NOT NULL
      OR NULLIF(trim(l.utm_campaign), '') IS NOT NULL)
