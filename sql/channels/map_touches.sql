-- Every touch with its channel and how it was found (mapped_by), first match wins: the touch's
-- own channel ('touch'); the registry ('registry': the source's channel, else the source whose
-- UTM rule matches the touch's UTM values, its non-empty fields all equal ignoring case, the
-- most specific rule first, then the lowest id); the default rules on utm_source (else the
-- source's name), utm_medium and utm_campaign ('default_rule': missing values match as
-- '(not set)', patterns are LIKE ignoring case, lowest priority then rule_id first);
-- else 'Unassigned' ('unassigned'). A channel of 'Unassigned' on a touch or a source counts as
-- none, and channel names equal to a default group ignoring case take the group's spelling.
-- A touch that names no source but matches a source's UTM rule carries that source.
-- Creating a lead is itself a touch of its source at its created_at (is_lead_creation) when
-- the lead names a source or carries a UTM value; a lead with neither (of unknown origin) adds
-- no touch.
-- Rules are matched once per distinct combination of UTM values, not once per touch.
-- Grain: one row per row of touches plus one per row of leads.
-- Reads touches, leads, lead_sources, channel_rules (load_rules.sql).
-- Params: $since, $until (TIMESTAMP or NULL): only touches in [since, until), for a run;
-- $leads_since (TIMESTAMP or NULL): only lead creations in [leads_since, until).
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
),
keyed AS (
    SELECT
        a.*,
        CASE WHEN lower(trim(a.channel)) <> 'unassigned' THEN trim(a.channel) END
            AS touch_channel,
        CASE WHEN lower(trim(s.channel)) <> 'unassigned' THEN trim(s.channel) END
            AS source_channel,
        coalesce(NULLIF(lower(trim(a.utm_source)), ''), '(not set)') AS source_key,
        coalesce(NULLIF(lower(trim(a.utm_medium)), ''), '(not set)') AS medium_key,
        coalesce(NULLIF(lower(trim(a.utm_campaign)), ''), '(not set)') AS campaign_key,
        coalesce(NULLIF(lower(trim(a.utm_source)), ''), NULLIF(lower(trim(s.name)), ''),
            '(not set)') AS rule_source_key
    FROM all_touches AS a
    LEFT JOIN lead_sources AS s ON s.id = a.source_id
),
utm_keys AS (
    SELECT DISTINCT source_key, medium_key, campaign_key FROM keyed
),
utm_rules AS (
    SELECT
        id,
        CASE WHEN lower(trim(channel)) <> 'unassigned' THEN trim(channel) END AS channel,
        NULLIF(lower(trim(utm_source)), '') AS rule_source,
        NULLIF(lower(trim(utm_medium)), '') AS rule_medium,
        NULLIF(lower(trim(utm_campaign)), '') AS rule_campaign
    FROM lead_sources
),
utm_hits AS (
    SELECT
        k.source_key, k.medium_key, k.campaign_key, r.channel, r.id AS rule_source_id,
        row_number() OVER (
            PARTITION BY k.source_key, k.medium_key, k.campaign_key
            ORDER BY
                CASE WHEN r.rule_source IS NULL THEN 0 ELSE 1 END
                + CASE WHEN r.rule_medium IS NULL THEN 0 ELSE 1 END
                + CASE WHEN r.rule_campaign IS NULL THEN 0 ELSE 1 END DESC,
                r.id
        ) AS pick
    FROM utm_keys AS k
    JOIN utm_rules AS r
      ON (r.rule_source IS NOT NULL OR r.rule_medium IS NOT NULL OR r.rule_campaign IS NOT NULL)
     AND (r.rule_source IS NULL OR r.rule_source = k.source_key)
     AND (r.rule_medium IS NULL OR r.rule_medium = k.medium_key)
     AND (r.rule_campaign IS NULL OR r.rule_campaign = k.campaign_key)
),
rule_keys AS (
    SELECT DISTINCT rule_source_key, medium_key, campaign_key FROM keyed
),
rule_hits AS (
    SELECT
        k.rule_source_key, k.medium_key, k.campaign_key, r.channel,
        row_number() OVER (
            PARTITION BY k.rule_source_key, k.medium_key, k.campaign_key
            ORDER BY r.priority, r.rule_id
        ) AS pick
    FROM rule_keys AS k
    JOIN channel_rules AS r
      ON (r.source_pattern IS NULL OR k.rule_source_key LIKE r.source_pattern)
     AND (r.medium_pattern IS NULL OR k.medium_key LIKE r.medium_pattern)
     AND (r.campaign_pattern IS NULL OR k.campaign_key LIKE r.campaign_pattern)
),
chosen AS (
    SELECT
        k.lead_id, k.occurred_at, k.batch_id, k.row_number, k.is_lead_creation,
        coalesce(k.source_id, u.rule_source_id) AS source_id,
        coalesce(k.touch_channel, k.source_channel, u.channel, d.channel) AS found_channel,
        CASE
            WHEN k.touch_channel IS NOT NULL THEN 'touch'
            WHEN k.source_channel IS NOT NULL OR u.channel IS NOT NULL THEN 'registry'
            WHEN d.channel IS NOT NULL THEN 'default_rule'
            ELSE 'unassigned'
        END AS mapped_by
    FROM keyed AS k
    LEFT JOIN utm_hits AS u
      ON u.pick = 1
     AND u.source_key = k.source_key
     AND u.medium_key = k.medium_key
     AND u.campaign_key = k.campaign_key
    LEFT JOIN rule_hits AS d
      ON d.pick = 1
     AND d.rule_source_key = k.rule_source_key
     AND d.medium_key = k.medium_key
     AND d.campaign_key = k.campaign_key
),
canonical AS (
    SELECT lower(channel) AS channel_key, min(channel) AS channel
    FROM channel_rules
    GROUP BY lower(channel)
)
SELECT
    c.lead_id,
    c.occurred_at,
    c.batch_id,
    c.row_number,
    c.is_lead_creation,
    c.source_id,
    coalesce(g.channel, c.found_channel, 'Unassigned') AS channel,
    c.mapped_by
FROM chosen AS c
LEFT JOIN canonical AS g ON g.channel_key = lower(c.found_channel)
