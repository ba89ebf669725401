-- Removes a table the snapshot must not carry (credentials, the scheduler's store) from the
-- current database, snapshot_publish. A command: no rows. Params: none bound; {table} is a
-- name from snapshot.PRIVATE_TABLES, quoted by quote_ident.
DROP TABLE IF EXISTS {table}
