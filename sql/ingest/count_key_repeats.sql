-- Good rows of the file that repeat the natural key of an earlier good row of the file.
-- Grain: one row. Reads ingest_valid. Params: none.
SELECT count(*) - count(DISTINCT natural_key) FROM ingest_valid WHERE reason IS NULL
