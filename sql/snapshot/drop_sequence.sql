-- Removes a sequence of a table the snapshot does not carry from the current database,
-- snapshot_publish. A command: no rows. Params: none bound; {sequence} is a name from
-- snapshot.PRIVATE_SEQUENCES, quoted by quote_ident.
DROP SEQUENCE IF EXISTS {sequence}
