-- Writes the registered table demo_out to a Parquet file. Params: $path.
COPY demo_out TO $path (FORMAT parquet)
