-- The sources a new name or UTM rule clashes with, to say which (read only after a write was
-- refused). Grain: one row per clashing source, name clashes first.
-- Params: $own_id (INTEGER; -1 for a new source), $name_key (lower-case name, or NULL when the
-- name is not checked), $rule_source, $rule_medium, $rule_campaign (the rule lower-case, ''
-- for none), $has_rule (BOOLEAN).
SELECT o.id, o.name, o.name_key = $name_key AS name_taken
FROM lead_sources AS o
WHERE o.id <> $own_id
  AND (o.name_key = $name_key
       OR ($has_rule
           AND lower(coalesce(o.utm_source, '')) = $rule_source
           AND lower(coalesce(o.utm_medium, '')) = $rule_medium
           AND lower(coalesce(o.utm_campaign, '')) = $rule_campaign))
ORDER BY name_taken DESC, o.id
