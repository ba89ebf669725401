-- Delete one lead source unless data still names it or it is the configured default source:
-- the checks run in the statement itself (one round trip; the caller holds the write lock).
-- Grain: one row (the id), or none when there is no such source or it may not be deleted.
-- Params: $id (INTEGER), $default_key (the default source's lower-case name, or NULL).
DELETE FROM lead_sources AS s
WHERE s.id = $id
  AND ($default_key IS NULL OR s.name_key <> $default_key)
  AND NOT EXISTS (SELECT 1 FROM leads AS l WHERE l.source_id = $id)
  AND NOT EXISTS (SELECT 1 FROM touches AS t WHERE t.source_id = $id)
  AND NOT EXISTS (SELECT 1 FROM spend AS p WHERE p.source_id = $id)
RETURNING id
