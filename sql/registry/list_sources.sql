-- Lead sources with their lead counts, filtered; the caller appends an allow-listed ORDER BY
-- and LIMIT. Grain: one row per source; total = rows matching before LIMIT.
-- Params: $search (a lower-case LIKE pattern with \ as escape, or NULL), $channel (lower-case,
-- or NULL), $active (BOOLEAN or NULL), $id (INTEGER or NULL: only that source).
SELECT
    s.id, s.name, s.channel, s.utm_source, s.utm_medium, s.utm_campaign, s.active,
    s.auto_created, s.created_at, s.updated_at,
    coalesce(c.n, 0) AS lead_count,
    count(*) OVER () AS total
FROM lead_sources AS s
LEFT JOIN (SELECT source_id, count(*) AS n FROM leads GROUP BY source_id) AS c
    ON c.source_id = s.id
WHERE ($id IS NULL OR s.id = $id)
  AND ($channel IS NULL OR lower(s.channel) = $channel)
  AND ($active IS NULL OR s.active = $active)
  AND ($search IS NULL
       OR lower(s.name) LIKE $search ESCAPE '\'
       OR lower(s.channel) LIKE $search ESCAPE '\'
       OR lower(coalesce(s.utm_source, '')) LIKE $search ESCAPE '\'
       OR lower(coalesce(s.utm_medium, '')) LIKE $search ESCAPE '\'
       OR lower(coalesce(s.utm_campaign, '')) LIKE $search ESCAPE '\')
