-- A small upload's validation counts in one statement (ingest/count_valid, top_reasons and
-- staged_sources together): rows read, rows rejected, good rows repeating the natural key of
-- another good row, the commonest reasons (most frequent first, at most $limit), and the
-- sources the file depends on: ids its rows resolved to or name, and the names it gives.
-- Grain: one row. Reads ingest_valid_rows, ingest_valid and ingest_norm (this cursor's).
-- Params: $limit.
WITH reasons AS (
    SELECT r.reason, count(*) AS n
    FROM (
        SELECT unnest(string_split(v.reason, '; ')) AS reason
        FROM ingest_valid AS v
        WHERE v.reason IS NOT NULL
    ) AS r
    GROUP BY r.reason
)
SELECT
    c.rows_read,
    c.rows_rejected,
    c.key_repeats,
    (
        SELECT coalesce(list([r.reason, CAST(r.n AS VARCHAR)] ORDER BY r.n DESC, r.reason), [])
        FROM reasons AS r
    )[1:$limit] AS top_reasons,
    (
        SELECT coalesce(list(DISTINCT i.id), [])
        FROM (
            SELECT v.source_id AS id FROM ingest_valid AS v
            UNION ALL
            SELECT TRY_CAST(n.source_id AS INTEGER) FROM ingest_norm AS n
        ) AS i
        WHERE i.id IS NOT NULL
    ) AS ids,
    (
        SELECT coalesce(list(DISTINCT lower(n.source)), [])
        FROM ingest_norm AS n
        WHERE n.source IS NOT NULL
    ) AS names
FROM (
    SELECT
        count(*) AS rows_read,
        count(reason) AS rows_rejected,
        count(*) FILTER (WHERE reason IS NULL)
            - count(DISTINCT natural_key) FILTER (WHERE reason IS NULL) AS key_repeats
    FROM ingest_valid_rows
) AS c
