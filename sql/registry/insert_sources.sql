-- Add several lead sources in one statement, each unless another source already has its name
-- or its UTM rule: the creates queued together for one transaction. The caller groups only
-- creates whose names and rules differ from each other, so each is checked against the
-- sources there were before the statement, as it would be alone.
-- Grain: each new row as the lists compare it (lower-case texts), with its name_key; a create
-- whose name or rule is taken gives none.
-- Params: lists, one element per create, in queue order: $name, $name_key (lower-case name),
-- $channel, $utm_source, $utm_medium, $utm_campaign (text or NULL), $active, $auto_created
-- (BOOLEAN), $now (TIMESTAMP, UTC), $rule_source, $rule_medium, $rule_campaign (the rule's values
-- lower-case, '' for none), $has_rule (BOOLEAN: some UTM value is given).
INSERT INTO lead_sources (
    name, name_key, channel, utm_source, utm_medium, utm_campaign, active, auto_created,
    created_at, updated_at
)
SELECT
    n.name, n.name_key, n.channel, n.utm_source, n.utm_medium, n.utm_campaign, n.active,
    n.auto_created, n.now, n.now
FROM (
    SELECT
        unnest(generate_series(1, len($name))) AS pos,
        unnest($name) AS name,
        unnest($name_key) AS name_key,
        unnest($channel) AS channel,
        unnest($utm_source) AS utm_source,
        unnest($utm_medium) AS utm_medium,
        unnest($utm_campaign) AS utm_campaign,
        unnest($active) AS active,
        unnest($auto_created) AS auto_created,
        unnest($now) AS now,
        unnest($rule_source) AS rule_source,
        unnest($rule_medium) AS rule_medium,
        unnest($rule_campaign) AS rule_campaign,
        unnest($has_rule) AS has_rule
) AS n
WHERE NOT EXISTS (
    SELECT 1
    FROM lead_sources AS o
    WHERE o.name_key = n.name_key
       OR (n.has_rule
           AND lower(coalesce(o.utm_source, '')) = n.rule_source
           AND lower(coalesce(o.utm_medium, '')) = n.rule_medium
           AND lower(coalesce(o.utm_campaign, '')) = n.rule_campaign)
)
ORDER BY n.pos
RETURNING
    id, name, channel, utm_source, utm_medium, utm_campaign, active, auto_created, created_at,
    updated_at, lower(name) AS name_lower, lower(channel) AS channel_lower,
    lower(coalesce(utm_source, '')) AS utm_source_lower,
    lower(coalesce(utm_medium, '')) AS utm_medium_lower,
    lower(coalesce(utm_campaign, '')) AS utm_campaign_lower,
    name_key
