-- A small upload's validation in one statement over its file (the Arrow table ingest_src, this
-- cursor's): the bulk path's views ingest_norm and ingest_sourced as CTEs and its validate
-- query (sql/ingest/leads_validate.sql), filled in below. Grain: one row per file row.
-- Params: $default_source (of the validate query).
WITH ingest_norm AS (
{norm}
),
ingest_sourced AS (
{sourced}
)
SELECT * FROM (
{validate}
)
