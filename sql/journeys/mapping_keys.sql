-- The distinct mapping keys of a run's touches and lead creations: the values channel mapping
-- reads (source, channel, UTM values), each once, so that the rules (key_channels.sql) are
-- matched per key, not per touch. The same touches and lead creations as
-- channels/map_touches.sql. Portable SQL: both engines map channels this way.
-- Grain: one row per distinct (source_id, channel, utm_source, utm_medium, utm_campaign).
-- Reads touches, leads. Params: $since, $until (TIMESTAMP or NULL): touches in [since, until);
-- $leads_since (TIMESTAMP or NULL): lead creations in [leads_since, until).
CREATE OR REPLACE TEMP TABLE run_mapping_keys AS
SELECT DISTINCT source_id, channel, utm_source, utm_medium, utm_campaign
FROM (
    SELECT t.source_id, t.channel, t.utm_source, t.utm_medium, t.utm_campaign
    FROM touches AS t
    WHERE ($since IS NULL OR t.occurred_at >= $since) AND ($until IS NULL OR t.occurred_at < $until)
    UNION ALL
    SELECT l.source_id, CAST(NULL AS VARCHAR), l.utm_source, l.utm_medium, l.utm_campaign
    FROM leads AS l
    WHERE ($leads_since IS NULL OR l.created_at >= $leads_since)
      AND ($until IS NULL OR l.created_at < $until)
      AND (l.source_id IS NOT NULL OR NULLIF(trim(l.utm_source), '') IS NOT NULL
          OR NULLIF(trim(l.utm_medium), '') IS NOT NULL
          OR NULLIF(trim(l.utm_campaign), '') IS NOT NULL)
) AS a
