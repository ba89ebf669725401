-- Change the given fields of one lead source; updated_at moves only when a value really
-- changes. The caller checked the new name and UTM rule (registry/find_clash) under the same
-- write lock. Grain: the changed row as the lists compare it (lower-case texts), or none when
-- there is no such source.
-- Params: $id; per field a flag $set_<field> (BOOLEAN) and its value: $name, $name_key
-- (lower-case name), $channel ('Unassigned' for none), $utm_source, $utm_medium, $utm_campaign
-- (text or NULL), $active; $now (TIMESTAMP, UTC).
UPDATE lead_sources AS s SET
    name = CASE WHEN $set_name THEN $name ELSE s.name END,
    name_key = CASE WHEN $set_name THEN $name_key ELSE s.name_key END,
    channel = CASE WHEN $set_channel THEN $channel ELSE s.channel END,
    utm_source = CASE WHEN $set_utm_source THEN $utm_source ELSE s.utm_source END,
    utm_medium = CASE WHEN $set_utm_medium THEN $utm_medium ELSE s.utm_medium END,
    utm_campaign = CASE WHEN $set_utm_campaign THEN $utm_campaign ELSE s.utm_campaign END,
    active = CASE WHEN $set_active THEN $active ELSE s.active END,
    updated_at = CASE
        WHEN ($set_name AND s.name IS DISTINCT FROM $name)
          OR ($set_channel AND s.channel IS DISTINCT FROM $channel)
          OR ($set_utm_source AND s.utm_source IS DISTINCT FROM $utm_source)
          OR ($set_utm_medium AND s.utm_medium IS DISTINCT FROM $utm_medium)
          OR ($set_utm_campaign AND s.utm_campaign IS DISTINCT FROM $utm_campaign)
          OR ($set_active AND s.active IS DISTINCT FROM $active)
        THEN $now ELSE s.updated_at END
WHERE s.id = $id
RETURNING
    id, name, channel, utm_source, utm_medium, utm_campaign, active, auto_created, created_at,
    updated_at, lower(name) AS name_lower, lower(channel) AS channel_lower,
    lower(coalesce(utm_source, '')) AS utm_source_lower,
    lower(coalesce(utm_medium, '')) AS utm_medium_lower,
    lower(coalesce(utm_campaign, '')) AS utm_campaign_lower
