-- Applied migrations. Grain: one row per version. Params: none.
SELECT version, checksum FROM schema_migrations ORDER BY version
