-- Reads a CSV file (UTF-8, header row, delimiter sniffed) as text into the connection's
-- ingest_file. Grain: one row per data row, in file order.
-- Only the delimiter is sniffed. Left to sniff the rest, DuckDB drops rows without a word: it
-- takes lines starting with # for comments, takes a row with a field too many for the header
-- (skipping every line above it), and takes ' for the quote when a field starts with one
-- (merging the lines up to the next '). So: the header is the first line, no line is a
-- comment, and fields are quoted with " as RFC 4180 has it ("" inside).
-- Params: $path.
CREATE OR REPLACE TEMP TABLE ingest_file AS
SELECT * FROM read_csv($path, header = true, skip = 0, comment = '', quote = '"', escape = '"',
                       all_varchar = true, encoding = 'utf-8')
