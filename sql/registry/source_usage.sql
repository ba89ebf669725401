-- How much data still names each of the given lead sources, with the source's name_key (to
-- tell the configured default source). Grain: one row per given id that exists.
-- Params: $ids (INTEGER[]).
SELECT
    s.id,
    s.name_key,
    (SELECT count(*) FROM leads AS l WHERE l.source_id = s.id) AS leads,
    (SELECT count(*) FROM touches AS t WHERE t.source_id = s.id) AS touches,
    (SELECT count(*) FROM spend AS p WHERE p.source_id = s.id) AS spend
FROM lead_sources AS s
WHERE list_contains($ids, s.id)
ORDER BY s.id
