-- Activate or retire the given lead sources (a bulk action). Grain: one row per changed source,
-- as the lists compare it (lower-case texts).
-- Params: $ids (INTEGER[]), $active (BOOLEAN), $now (TIMESTAMP, UTC).
UPDATE lead_sources SET active = $active, updated_at = $now
WHERE list_contains($ids, id)
RETURNING
    id, name, channel, utm_source, utm_medium, utm_campaign, active, auto_created, created_at,
    updated_at, lower(name) AS name_lower, lower(channel) AS channel_lower,
    lower(coalesce(utm_source, '')) AS utm_source_lower,
    lower(coalesce(utm_medium, '')) AS utm_medium_lower,
    lower(coalesce(utm_campaign, '')) AS utm_campaign_lower
