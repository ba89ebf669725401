-- Channel mapping of a run's mapping keys (mapping_keys.sql): the rules of
-- channels/map_touches.sql (see there: the touch's own channel, the registry, the default
-- rules, else Unassigned), applied once per distinct key instead of once per touch, so that
-- the string work does not grow with the touches. Each key's channel is numbered from 0 in
-- name order (the codes the models use, as journeys/channels.sql numbers them).
-- Grain: one row per mapping key. Reads run_mapping_keys, lead_sources, channel_rules.
-- Params: none.
CREATE OR REPLACE TEMP TABLE run_key_channels AS
WITH keyed AS (
    SELECT
        a.mapping_key, a.source_id, a.channel AS raw_channel, a.utm_source, a.utm_medium,
        a.utm_campaign,
        CASE WHEN lower(trim(a.channel)) <> 'unassigned' THEN trim(a.channel) END
            AS touch_channel,
        CASE WHEN lower(trim(s.channel)) <> 'unassigned' THEN trim(s.channel) END
            AS source_channel,
        coalesce(NULLIF(lower(trim(a.utm_source)), ''), '(not set)') AS source_key,
        coalesce(NULLIF(lower(trim(a.utm_medium)), ''), '(not set)') AS medium_key,
        coalesce(NULLIF(lower(trim(a.utm_campaign)), ''), '(not set)') AS campaign_key,
        coalesce(NULLIF(lower(trim(a.utm_source)), ''), NULLIF(lower(trim(s.name)), ''),
            '(not set)') AS rule_source_key
    FROM run_mapping_keys AS a
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
        k.mapping_key, k.source_id, k.raw_channel, k.utm_source, k.utm_medium, k.utm_campaign,
        coalesce(k.source_id, u.rule_source_id) AS mapped_source_id,
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
),
named AS (
    SELECT
        c.mapping_key, c.source_id, c.raw_channel, c.utm_source, c.utm_medium, c.utm_campaign,
        c.mapped_source_id, coalesce(g.channel, c.found_channel, 'Unassigned') AS mapped_channel,
        c.mapped_by
    FROM chosen AS c
    LEFT JOIN canonical AS g ON g.channel_key = lower(c.found_channel)
)
SELECT
    mapping_key, source_id, raw_channel AS channel, utm_source, utm_medium, utm_campaign,
    mapped_source_id, mapped_channel, mapped_by,
    CAST(dense_rank() OVER (ORDER BY mapped_channel) - 1 AS INTEGER) AS channel_code
FROM named
