-- Change the given fields of one lead source unless its new name or its UTM rule as it will be
-- is another source's: the checks run in the statement itself (one round trip; the caller holds
-- the write lock). updated_at moves only when a value really changes.
-- Grain: one row (the id), or none when there is no such source or the change clashes.
-- Params: $id; per field a flag $set_<field> (BOOLEAN) and its value: $name, $name_key
-- (lower-case name), $channel ('Unassigned' for none), $utm_source, $utm_medium, $utm_campaign
-- (text or NULL), $active; $rule_source, $rule_medium, $rule_campaign (the given UTM values
-- lower-case, '' for none); $now (TIMESTAMP, UTC).
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
  AND NOT EXISTS (
    SELECT 1
    FROM lead_sources AS o
    WHERE o.id <> s.id
      AND (($set_name AND o.name_key = $name_key)
           OR (($set_utm_source OR $set_utm_medium OR $set_utm_campaign)
               AND (CASE WHEN $set_utm_source THEN $rule_source
                         ELSE lower(coalesce(s.utm_source, '')) END
                    || CASE WHEN $set_utm_medium THEN $rule_medium
                            ELSE lower(coalesce(s.utm_medium, '')) END
                    || CASE WHEN $set_utm_campaign THEN $rule_campaign
                            ELSE lower(coalesce(s.utm_campaign, '')) END) <> ''
               AND lower(coalesce(o.utm_source, ''))
                   = CASE WHEN $set_utm_source THEN $rule_source
                          ELSE lower(coalesce(s.utm_source, '')) END
               AND lower(coalesce(o.utm_medium, ''))
                   = CASE WHEN $set_utm_medium THEN $rule_medium
                          ELSE lower(coalesce(s.utm_medium, '')) END
               AND lower(coalesce(o.utm_campaign, ''))
                   = CASE WHEN $set_utm_campaign THEN $rule_campaign
                          ELSE lower(coalesce(s.utm_campaign, '')) END))
  )
RETURNING id
