-- Change the given fields of one lead source; updated_at moves only when a value really
-- changes. The caller checked the new name and UTM rule (registry/find_clash) under the same
-- write lock. Only the given columns are assigned: each assigned column costs DuckDB a
-- column update, so a change of the channel alone writes the channel and updated_at.
-- Grain: the changed row as the lists compare it (lower-case texts), or none when there is
-- no such source.
-- Filled by the caller from an allow-list of columns: {assignments} is `col = $col, ...` and
-- {changed} is `s.col IS DISTINCT FROM $col OR ...`, one per given field (name also sets
-- name_key).
-- Params: $id; $now (TIMESTAMP, UTC); per given field its value: $name, $name_key (lower-case
-- name), $channel ('Unassigned' for none), $utm_source, $utm_medium, $utm_campaign (text or
-- NULL), $active.
UPDATE lead_sources AS s SET
    {assignments},
    updated_at = CASE WHEN {changed} THEN $now ELSE s.updated_at END
WHERE s.id = $id
RETURNING
    id, name, channel, utm_source, utm_medium, utm_campaign, active, auto_created, created_at,
    updated_at, lower(name) AS name_lower, lower(channel) AS channel_lower,
    lower(coalesce(utm_source, '')) AS utm_source_lower,
    lower(coalesce(utm_medium, '')) AS utm_medium_lower,
    lower(coalesce(utm_campaign, '')) AS utm_campaign_lower
