-- Adds a lead source unless one of that name (case-insensitive, trimmed) exists; returns its id.
-- Grain: one row. Params: $name, $channel, $utm_source, $utm_medium, $utm_campaign.
INSERT INTO lead_sources (name, name_key, channel, utm_source, utm_medium, utm_campaign)
SELECT trim($name), lower(trim($name)), $channel, $utm_source, $utm_medium, $utm_campaign
WHERE lower(trim($name)) NOT IN (SELECT name_key FROM lead_sources)
