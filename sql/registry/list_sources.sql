-- Lead sources with their lead counts, filtered; the caller appends an allow-listed ORDER BY
-- and LIMIT. record is the row as the API shows it, one JSON object (id as a string, times as
-- UTC ISO 8601 with Z); the *_lower columns are the lower-case texts the filters and sorts compare
-- (the API's cache filters and sorts changed rows by them, as this statement does).
-- Grain: one row per source; total = rows matching before LIMIT.
-- Params: $search (a lower-case LIKE pattern with \ as escape, or NULL), $channel (lower-case,
-- or NULL), $active (BOOLEAN or NULL), $ids (INTEGER[] or NULL: only those sources).
SELECT
    s.id, s.name, s.channel, s.utm_source, s.utm_medium, s.utm_campaign, s.active,
    s.auto_created, s.created_at, s.updated_at,
    coalesce(c.n, 0) AS lead_count,
    CAST(to_json(struct_pack(
        id := CAST(s.id AS VARCHAR),
        name := s.name,
        channel := s.channel,
        utm_source := s.utm_source,
        utm_medium := s.utm_medium,
        utm_campaign := s.utm_campaign,
        active := s.active,
        auto_created := s.auto_created,
        created_at := strftime(s.created_at, '%Y-%m-%dT%H:%M:%SZ'),
        updated_at := strftime(s.updated_at, '%Y-%m-%dT%H:%M:%SZ'),
        lead_count := coalesce(c.n, 0)
    )) AS VARCHAR) AS record,
    lower(s.name) AS name_lower,
    lower(s.channel) AS channel_lower,
    lower(coalesce(s.utm_source, '')) AS utm_source_lower,
    lower(coalesce(s.utm_medium, '')) AS utm_medium_lower,
    lower(coalesce(s.utm_campaign, '')) AS utm_campaign_lower,
    count(*) OVER () AS total
FROM lead_sources AS s
LEFT JOIN (
    SELECT source_id, count(*) AS n
    FROM leads
    WHERE $ids IS NULL OR list_contains($ids, source_id)
    GROUP BY source_id
) AS c
    ON c.source_id = s.id
WHERE ($ids IS NULL OR list_contains($ids, s.id))
  AND ($channel IS NULL OR lower(s.channel) = $channel)
  AND ($active IS NULL OR s.active = $active)
  AND ($search IS NULL
       OR lower(s.name) LIKE $search ESCAPE '\'
       OR lower(s.channel) LIKE $search ESCAPE '\'
       OR lower(coalesce(s.utm_source, '')) LIKE $search ESCAPE '\'
       OR lower(coalesce(s.utm_medium, '')) LIKE $search ESCAPE '\'
       OR lower(coalesce(s.utm_campaign, '')) LIKE $search ESCAPE '\')
