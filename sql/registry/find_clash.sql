-- The source a new or changed source's name or UTM rule would clash with: one round trip before
-- an update that names them, and after an insert that was refused, to say which.
-- Grain: at most one row, a name clash first; with the own source's current name and UTM
-- values (NULL for a new source), for the message.
-- Params: $own_id (INTEGER; -1 for a new source), $name_key (the lower-case new name, or NULL
-- when the name is not checked), $set_utm_source, $set_utm_medium, $set_utm_campaign (BOOLEAN:
-- that part of the rule is given; the others stay as the source has them), $rule_source,
-- $rule_medium, $rule_campaign (the given parts lower-case, '' for none).
WITH rule AS (
    SELECT
        s.name AS own_name, s.utm_source AS own_source, s.utm_medium AS own_medium,
        s.utm_campaign AS own_campaign,
        CASE WHEN $set_utm_source THEN $rule_source
             ELSE lower(coalesce(s.utm_source, '')) END AS src,
        CASE WHEN $set_utm_medium THEN $rule_medium
             ELSE lower(coalesce(s.utm_medium, '')) END AS med,
        CASE WHEN $set_utm_campaign THEN $rule_campaign
             ELSE lower(coalesce(s.utm_campaign, '')) END AS camp
    FROM (SELECT 1) AS one
    LEFT JOIN lead_sources AS s ON s.id = $own_id
)
SELECT
    o.id, o.name, coalesce(o.name_key = $name_key, false) AS name_taken,
    r.own_name, r.own_source, r.own_medium, r.own_campaign
FROM lead_sources AS o, rule AS r
WHERE o.id <> $own_id
  AND (o.name_key = $name_key
       OR (($set_utm_source OR $set_utm_medium OR $set_utm_campaign)
           AND r.src || r.med || r.camp <> ''
           AND lower(coalesce(o.utm_source, '')) = r.src
           AND lower(coalesce(o.utm_medium, '')) = r.med
           AND lower(coalesce(o.utm_campaign, '')) = r.camp))
ORDER BY name_taken DESC, o.id
LIMIT 1
