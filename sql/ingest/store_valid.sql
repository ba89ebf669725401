-- Stores the rows of the kind's validate query (sql/ingest/KIND_validate.sql, filled in below)
-- in the connection's ingest_valid_rows. The columns are * or * EXCLUDE (...): a column that
-- only passes on a column the file lacks is NULL on every row, and is left out here (the view
-- ingest_valid gives it back), since a temporary table stores NULLs at full width.
-- Grain: one row per file row. Params: those of the validate query.
CREATE OR REPLACE TEMP TABLE ingest_valid_rows AS
SELECT {columns} FROM ({query})
