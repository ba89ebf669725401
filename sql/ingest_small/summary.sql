-- A small upload's validation in one pass over its validated rows (ingest/count_valid and, in
-- part, ingest/staged_sources together): rows read, rows rejected, good rows repeating the
-- natural key of another good row, the sources its rows resolved to, and whether a row names a
-- source the registry lacks (then ingest/staged_sources gives the ids and names it names). Grain: one row. Reads ingest_valid_rows (this cursor's). Params: none.
SELECT
    count(*) AS rows_read,
    count(reason) AS rows_rejected,
    count(*) FILTER (WHERE reason IS NULL)
        - count(DISTINCT natural_key) FILTER (WHERE reason IS NULL) AS key_repeats,
    coalesce(list(DISTINCT source_id) FILTER (WHERE source_id IS NOT NULL), []) AS ids,
    coalesce(bool_or(reason LIKE '%is not in the lead-source registry%'), false) AS unknown
FROM ingest_valid_rows
