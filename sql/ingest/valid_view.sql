-- The validated rows of the file, every column of the kind's validate query: ingest_valid_rows
-- with the columns store_valid left out given back as typed NULLs (filled in below: nothing,
-- or ", CAST(NULL AS type) AS name, ..."). Grain: one row per file row. Params: none.
CREATE OR REPLACE TEMP VIEW ingest_valid AS
SELECT *{nulls} FROM ingest_valid_rows
