-- Rows of the file read, rows rejected, and good rows that repeat the natural key of another
-- good row of the file (one scan for all three). Grain: one row. Reads ingest_valid_rows.
-- Params: none.
SELECT
    count(*) AS rows_read,
    count(reason) AS rows_rejected,
    count(*) FILTER (WHERE reason IS NULL)
        - count(DISTINCT natural_key) FILTER (WHERE reason IS NULL) AS key_repeats
FROM ingest_valid_rows
