-- How many leads name each of the given lead sources (for the rows a registry write hands to
-- caches). Grain: one row per given id that leads name. Params: $ids (INTEGER[]).
SELECT source_id AS id, count(*) AS lead_count
FROM leads
WHERE list_contains($ids, source_id)
GROUP BY source_id
