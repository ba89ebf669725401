-- The last migration applied to the current database. Grain: one row. Params: none.
SELECT max(version) AS version FROM schema_migrations
