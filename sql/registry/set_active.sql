-- Activate or retire the given lead sources (a bulk action). Grain: one row per changed id.
-- Params: $ids (INTEGER[]), $active (BOOLEAN), $now (TIMESTAMP, UTC).
UPDATE lead_sources SET active = $active, updated_at = $now
WHERE list_contains($ids, id)
RETURNING id
