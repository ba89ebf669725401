-- A run's touches and lead creations with their channel as a code and no other strings but
-- the lead's id: the time and ingest order, the source found by mapping (NULL: none). The
-- mapping key of each row is found by a hash of its values and checked value by value (IS NOT
-- DISTINCT FROM), so this small join is exact. The same rows as channels/map_touches.sql
-- (which joins the same keys on the values, portably). DuckDB only.
-- Grain: one row per touch, plus one per lead creation (as in map_touches.sql).
-- Reads touches, leads, run_key_channels. Params: $since, $until, $leads_since (as in
-- mapping_keys.sql).
CREATE OR REPLACE TEMP TABLE run_touches AS
WITH rows AS (
    SELECT
        t.lead_id, t.occurred_at, t.batch_id, t.row_number, false AS is_lead_creation,
        t.source_id, t.channel, t.utm_source, t.utm_medium, t.utm_campaign
    FROM touches AS t
    WHERE ($since IS NULL OR t.occurred_at >= $since) AND ($until IS NULL OR t.occurred_at < $until)
    UNION ALL
    SELECT
        l.lead_id, l.created_at, l.batch_id, l.row_number, true,
        l.source_id, CAST(NULL AS VARCHAR), l.utm_source, l.utm_medium, l.utm_campaign
    FROM leads AS l
    WHERE ($leads_since IS NULL OR l.created_at >= $leads_since)
      AND ($until IS NULL OR l.created_at < $until)
      AND (l.source_id IS NOT NULL OR NULLIF(trim(l.utm_source), '') IS NOT NULL
          OR NULLIF(trim(l.utm_medium), '') IS NOT NULL
          OR NULLIF(trim(l.utm_campaign), '') IS NOT NULL)
)
SELECT
    r.lead_id, r.occurred_at, r.batch_id, r.row_number, r.is_lead_creation,
    k.mapped_source_id AS source_id, k.channel_code
FROM rows AS r
JOIN run_key_channels AS k
  ON hash(k.source_id, k.channel, k.utm_source, k.utm_medium, k.utm_campaign)
     = hash(r.source_id, r.channel, r.utm_source, r.utm_medium, r.utm_campaign)
 AND k.source_id IS NOT DISTINCT FROM r.source_id
 AND k.channel IS NOT DISTINCT FROM r.channel
 AND k.utm_source IS NOT DISTINCT FROM r.utm_source
 AND k.utm_medium IS NOT DISTINCT FROM r.utm_medium
 AND k.utm_campaign IS NOT DISTINCT FROM r.utm_campaign
