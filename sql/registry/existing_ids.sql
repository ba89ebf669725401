-- Which of the given lead source ids exist. Grain: one row per existing id.
-- Params: $ids (INTEGER[]).
SELECT id FROM lead_sources WHERE list_contains($ids, id) ORDER BY id
