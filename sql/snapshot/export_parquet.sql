-- Writes one table or view of the current database (snapshot_publish) to a Parquet file.
-- Grain: one file row per relation row. Params: $path (the file); {columns} and {relation} are
-- the relation's own quoted names (128-bit integers cast to text, which Parquet cannot hold).
COPY (SELECT {columns} FROM {relation}) TO $path (FORMAT parquet)
