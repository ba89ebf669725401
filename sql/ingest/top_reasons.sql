-- The commonest reasons rows of the file were rejected for. Grain: one row per reason,
-- most frequent first. Reads ingest_valid. Params: $limit.
SELECT reason, count(*) AS rows
FROM (SELECT unnest(string_split(reason, '; ')) AS reason FROM ingest_valid WHERE reason IS NOT NULL)
GROUP BY reason
ORDER BY rows DESC, reason
LIMIT $limit
