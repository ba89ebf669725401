-- The file's rows when it has neither a source_id nor a source column: nothing to resolve, so no
-- joins with the registry (resolve_sources probes two on every row). Same columns as
-- resolve_sources.sql. Grain: one row per file row. Reads ingest_norm. Params: none.
CREATE OR REPLACE TEMP VIEW ingest_sourced AS
SELECT n.*, CAST(NULL AS INTEGER) AS resolved_source_id, CAST(NULL AS VARCHAR) AS source_reason
FROM ingest_norm AS n
