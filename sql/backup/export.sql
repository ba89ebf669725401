-- Writes the whole warehouse to a folder: schema.sql (tables, sequences with their next value,
-- defaults, constraints, indexes), load.sql, and one Parquet file per table. Run inside the
-- backup's transaction, so that every table comes from the same state. A command: no rows.
-- Params: none bound (EXPORT takes no parameters); {database} is the warehouse's database name,
-- quoted by quote_ident; {path} is the folder, quoted by backup.quote_literal.
EXPORT DATABASE {database} TO {path} (FORMAT parquet)
