-- Creates snapshot_info in the current database (snapshot_publish): when and from what the
-- snapshot was published. Grain: one row.
-- Params: $published_at (TIMESTAMP, UTC), $warehouse (path of the live file),
-- $schema_version (the last migration applied), $duckdb_version, $storage_version.
CREATE TABLE snapshot_info AS
SELECT
    CAST($published_at AS TIMESTAMP) AS published_at,
    CAST($warehouse AS VARCHAR) AS warehouse,
    CAST($schema_version AS INTEGER) AS schema_version,
    CAST($duckdb_version AS VARCHAR) AS duckdb_version,
    CAST($storage_version AS VARCHAR) AS storage_version
