-- Change the given fields of several lead sources in one statement: the changes of channel or
-- active (no uniqueness to check) that were queued together for one transaction, one per
-- source; updated_at moves only for a row whose values really change.
-- Grain: each changed row as the lists compare it (lower-case texts); an id with no source
-- gives none.
-- Filled by the caller from an allow-list of columns: {columns} is `, unnest($col) AS col`,
-- {assignments} `col = u.col, ...` and {changed} `s.col IS DISTINCT FROM u.col OR ...`, one
-- per given field.
-- Params: $ids (INTEGER[]), $now (TIMESTAMP[], UTC), and per given field a list of its values,
-- in the order of $ids: $channel (VARCHAR[]), $active (BOOLEAN[]).
UPDATE lead_sources AS s SET
    {assignments},
    updated_at = CASE WHEN {changed} THEN u.now ELSE s.updated_at END
FROM (SELECT unnest($ids) AS id, unnest($now) AS now{columns}) AS u
WHERE s.id = u.id
RETURNING
    s.id AS id, s.name AS name, s.channel AS channel, s.utm_source AS utm_source,
    s.utm_medium AS utm_medium, s.utm_campaign AS utm_campaign, s.active AS active,
    s.auto_created AS auto_created, s.created_at AS created_at, s.updated_at AS updated_at,
    lower(s.name) AS name_lower, lower(s.channel) AS channel_lower,
    lower(coalesce(s.utm_source, '')) AS utm_source_lower,
    lower(coalesce(s.utm_medium, '')) AS utm_medium_lower,
    lower(coalesce(s.utm_campaign, '')) AS utm_campaign_lower
