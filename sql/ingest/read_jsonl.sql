-- Reads a JSON Lines file (one object per line) into the connection's ingest_file.
-- Grain: one row per line, in file order. Params: $path.
-- map_inference_threshold = -1: an object of more than 200 keys stays a record (DuckDB would
-- read it as one MAP column, not the columns it has).
CREATE OR REPLACE TEMP TABLE ingest_file AS
SELECT * FROM read_json($path, format = 'newline_delimited', records = true,
                        map_inference_threshold = -1)
