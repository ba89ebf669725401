-- Recreates a backup's schema and rows in the current (new, empty) database from the folder
-- EXPORT DATABASE wrote: runs its schema.sql, then load.sql (which reads the Parquet files of the
-- folder it is in, wherever that folder was moved). A command: no rows. Params: none bound;
-- {path} is the backup folder, quoted by backup.quote_literal.
IMPORT DATABASE {path}
