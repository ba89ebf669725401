-- Reads a CSV file (UTF-8, header row, delimiter sniffed) as text into the connection's
-- ingest_file. Grain: one row per data row, in file order .
-- Params: $path.
CREATE OR REPLACE TEMP TABLE ingest_file AS
SELECT * FROM read_csv($path, header = true, all_varchar = true, encoding = 'utf-8')
