-- The sources a small upload depends on, when a row names a source the registry lacks: the
-- bulk path's ingest/staged_sources (filled in below) over the file's rows renamed (the view
-- ingest_norm as a CTE, filled in below) and its validated rows (the Arrow table ingest_valid,
-- this cursor's). Grain: one row. Params: none.
WITH ingest_norm AS (
{norm}
)
SELECT * FROM (
{staged}
)
