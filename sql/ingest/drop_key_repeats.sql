-- Drops good rows that repeat the natural key of an earlier good row of the file (the first
-- wins; the rest count as duplicates). Reads and changes ingest_valid. Params: none.
DELETE FROM ingest_valid
WHERE reason IS NULL
  AND row_number NOT IN (
      SELECT min(row_number) FROM ingest_valid WHERE reason IS NULL GROUP BY natural_key
  )
