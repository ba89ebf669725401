-- The migrations applied to the warehouse, with the checksums they were applied with.
-- Grain: one row per migration. Params: none.
SELECT version, name, checksum
FROM schema_migrations
ORDER BY version
