-- Delete the given lead sources (a bulk action, after its checks under the write lock).
-- Grain: one row per deleted id. Params: $ids (INTEGER[]).
DELETE FROM lead_sources WHERE list_contains($ids, id) RETURNING id
