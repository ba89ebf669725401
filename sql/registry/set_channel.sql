-- Move the given lead sources to a channel (a bulk action). Grain: one row per changed id.
-- Params: $ids (INTEGER[]), $channel, $now (TIMESTAMP, UTC).
UPDATE lead_sources SET channel = $channel, updated_at = $now
WHERE list_contains($ids, id)
RETURNING id
