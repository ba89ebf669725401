-- Writes one warehouse table (touches, leads, revenue_events or spend) to a Parquet file for
-- the Spark engine. Grain: one file row per table row. Params: $path (the file); {table} is
-- an allow-listed, quoted table name.
COPY (SELECT * FROM {table}) TO $path (FORMAT parquet)
