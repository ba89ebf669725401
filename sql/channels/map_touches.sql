-- Every touch with its channel, its channel's code and how it was found (mapped_by): each
-- touch joined to its mapping key (journeys/key_channels.sql, where the rules are matched once
-- per distinct combination of source, channel and UTM values; mapping_keys.sql first). A touch
-- that names no source but matches a source's UTM rule carries that source.
-- Creating a lead is itself a touch of its source at its created_at (is_lead_creation) when
-- the lead names a source or carries a UTM value; a lead with neither (of unknown origin) adds
-- no touch. Portable SQL: on Spark the keys (a few dozen rows) are broadcast, so the touches
-- are not shuffled to meet them.
-- Grain: one row per row of touches plus one per row of leads.
-- Reads touches, leads, run_key_channels.
-- Params: $since, $until (TIMESTAMP or NULL): only touches in [since, until), for a run;
-- $leads_since (TIMESTAMP or NULL): only lead creations in [leads_since, until) (the same as
-- mapping_keys.sql's).
CREATE OR REPLACE TEMP TABLE touch_channels AS
WITH all_touches AS (
    SELECT
        t.lead_id, t.occurred_at, t.batch_id, t.row_number, false AS is_lead_creation,
        t.source_id, t.channel, t.utm_source, t.utm_medium, t.utm_campaign
    FROM touches AS t
    WHERE ($since IS NULL OR t.occurred_at >= $since) AND ($until IS NULL OR t.occurred_at < $until)
    UNION ALL
    SELECT
        l.lead_id, l.created_at, l.batch_id, l.row_number, true,
        l.source_id, CAST(NULL AS STRING), l.utm_source, l.utm_medium, l.utm_campaign
    FROM leads AS l
    WHERE ($leads_since IS NULL OR l.created_at >= $leads_since)
      AND ($until IS NULL OR l.created_at < $until)
      AND (l.source_id IS NOT NULL OR NULLIF(trim(l.utm_source), '') IS NOT NULL
          OR NULLIF(trim(l.utm_medium), '') IS NOT NULL
          OR NULLIF(trim(l.utm_campaign), '') IS NOT NULL)
)
SELECT
    a.lead_id,
    a.occurred_at,
    a.batch_id,
    a.row_number,
    a.is_lead_creation,
    k.mapped_source_id AS source_id,
    k.mapped_channel AS channel,
    k.channel_code,
    k.mapped_by
FROM all_touches AS a
JOIN run_key_channels AS k
  ON k.source_id IS NOT DISTINCT FROM a.source_id
 AND k.channel IS NOT DISTINCT FROM a.channel
 AND k.utm_source IS NOT DISTINCT FROM a.utm_source
 AND k.utm_medium IS NOT DISTINCT FROM a.utm_medium
 AND k.utm_campaign IS NOT DISTINCT FROM a.utm_campaign
