-- Copies a Parquet file into the connection's ingest_file, for the rare file that has a column
-- named file_row_number (which DuckDB's own Parquet row numbers would clash with); every other
-- Parquet file is read in place. Grain: one row per file row, in file order. Params: $path.
CREATE OR REPLACE TEMP TABLE ingest_file AS
SELECT * FROM read_parquet($path)
