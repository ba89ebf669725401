-- Loads a path file (CSV with a header) as text into the connection's path_file.
-- Grain: one row per path. Params: $path.
CREATE OR REPLACE TEMP TABLE path_file AS
SELECT * FROM read_csv($path, header = true, all_varchar = true)
