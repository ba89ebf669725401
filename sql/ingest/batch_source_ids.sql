-- The lead sources whose rows in the registry's lists a batch just committed changed: those its
-- new leads name (their lead counts grew) and the sources it created, which are the newest
-- $created ids (the batch held the write lock, so nothing was added after them).
-- Grain: one row (a list of ids). Params: $batch_id, $created (sources the batch created).
SELECT coalesce(list(DISTINCT c.id), []) AS ids
FROM (
    SELECT l.source_id AS id FROM leads AS l WHERE l.batch_id = $batch_id
    UNION ALL
    (SELECT s.id FROM lead_sources AS s ORDER BY s.id DESC LIMIT $created)
) AS c
WHERE c.id IS NOT NULL
