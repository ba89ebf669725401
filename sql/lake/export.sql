-- Writes one warehouse table (touches, leads, revenue_events or spend) to a Parquet file for
-- the Spark engine: the columns a run reads (identifiers such as touch_id, and e-mail hashes,
-- are left out: unique strings, the costliest part of the file to write). Grain: one file row
-- per table row. Params: $path (the file); {table} is an allow-listed, quoted table name and
-- {columns} its allow-listed, quoted columns.
COPY (SELECT {columns} FROM {table}) TO $path (FORMAT parquet)
