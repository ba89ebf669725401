-- Reads a JSON Lines file (one object per line) into the connection's ingest_file.
-- Grain: one row per line, in file order . Params: $path.
CREATE OR REPLACE TEMP TABLE ingest_file AS
SELECT * FROM read_json($path, format = 'newline_delimited', records = true)
