-- Add a lead source unless another already has its name or its UTM rule: the uniqueness checks
-- run in the statement itself, so a write costs one round trip (the caller holds the write lock).
-- Grain: the new row as the lists compare it (lower-case texts), or none when the name or the
-- rule is taken.
-- Params: $name, $name_key (lower-case name), $channel, $utm_source, $utm_medium,
-- $utm_campaign (text or NULL), $active, $auto_created (BOOLEAN), $now (TIMESTAMP, UTC),
-- $rule_source, $rule_medium, $rule_campaign (the rule's values lower-case, '' for none),
-- $has_rule (BOOLEAN: some UTM value is given).
INSERT INTO lead_sources (
    name, name_key, channel, utm_source, utm_medium, utm_campaign, active, auto_created,
    created_at, updated_at
)
SELECT
    $name, $name_key, $channel, $utm_source, $utm_medium, $utm_campaign, $active, $auto_created,
    $now, $now
WHERE NOT EXISTS (
    SELECT 1
    FROM lead_sources AS o
    WHERE o.name_key = $name_key
       OR ($has_rule
           AND lower(coalesce(o.utm_source, '')) = $rule_source
           AND lower(coalesce(o.utm_medium, '')) = $rule_medium
           AND lower(coalesce(o.utm_campaign, '')) = $rule_campaign)
)
RETURNING
    id, name, channel, utm_source, utm_medium, utm_campaign, active, auto_created, created_at,
    updated_at, lower(name) AS name_lower, lower(channel) AS channel_lower,
    lower(coalesce(utm_source, '')) AS utm_source_lower,
    lower(coalesce(utm_medium, '')) AS utm_medium_lower,
    lower(coalesce(utm_campaign, '')) AS utm_campaign_lower
