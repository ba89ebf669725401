-- Drops good rows that repeat the natural key of an earlier good row of the file (the first
-- wins; the rest count as duplicates). Changes ingest_valid_rows, the table under the view
-- ingest_valid (row_number, natural_key and reason are always stored). Params: none.
DELETE FROM ingest_valid_rows
WHERE reason IS NULL
  AND row_number NOT IN (
      SELECT min(row_number) FROM ingest_valid_rows WHERE reason IS NULL GROUP BY natural_key
  )
