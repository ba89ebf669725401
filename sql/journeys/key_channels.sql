-- Channel mapping of a run's mapping keys (mapping_keys.sql), first match wins: the touch's
-- own channel ('touch'); the registry ('registry': the source's channel, else the source whose
-- UTM rule matches the touch's UTM values, its non-empty fields all equal ignoring case, the
-- most specific rule first, then the lowest id); the default rules on utm_source (else the
-- source's name), utm_medium and utm_campaign ('default_rule': missing values match as
-- '(not set)', patterns are LIKE ignoring case, lowest priority then rule_id first);
-- else 'Unassigned' ('unassigned'). A channel of 'Unassigned' on a touch or a source counts as
-- none, and channel names equal to a default group ignoring case take the group's spelling.
-- A touch that names no source but matches a source's UTM rule carries that source.
-- Applied once per distinct key, not once per touch, so that the string work does not grow
-- with the touches: the one implementation of the rules (channels/map_touches.sql and the
-- in-memory engine's run_touches.sql join the touches to these keys). Each key's channel is
-- numbered from 0 in name order: the codes the models use. Portable SQL.
-- Grain: one row per mapping key. Reads run_mapping_keys, lead_sources, channel_rules.
-- Params: none.
CREATE OR REPLACE TEMP TABLE run_key_channels AS
WITH keyed AS (
    SELECT
        a.source_id, a.channel AS raw_channel, a.utm_source, a.utm_medium,
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
        k.source_id, k.raw_channel, k.utm_source, k.utm_medium, k.utm_campaign,
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
        c.source_id, c.raw_channel, c.utm_source, c.utm_medium, c.utm_campaign,
        c.mapped_source_id, coalesce(g.channel, c.found_channel, 'Unassigned') AS mapped_channel,
        c.mapped_by
    FROM chosen AS c
    LEFT JOIN canonical AS g ON g.channel_key = lower(c.found_channel)
)
SELECT
    source_id, raw_channel AS channel, utm_source, utm_medium, utm_campaign,
    mapped_source_id, mapped_channel, mapped_by,
    CAST(dense_rank() OVER (ORDER BY mapped_channel) - 1 AS INTEGER) AS channel_code
FROM named
