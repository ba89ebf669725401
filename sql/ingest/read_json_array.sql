-- Reads a JSON array of records (an API body) into the connection's ingest_file.
-- Grain: one row per record, in array order. Params: $path.
CREATE OR REPLACE TEMP TABLE ingest_file AS
SELECT * FROM read_json($path, format = 'array', records = true)
