-- Reads a JSON array of records (an API body) into the connection's ingest_file.
-- Grain: one row per record, in array order. Params: $path.
-- map_inference_threshold = -1: a record of more than 200 keys stays a record, not a MAP.
CREATE OR REPLACE TEMP TABLE ingest_file AS
SELECT * FROM read_json($path, format = 'array', records = true,
                        map_inference_threshold = -1)
