-- The file just read into ingest_file, numbered: _ingest_row 1 is the first data row.
-- Grain: one row per file row. Params: none.
CREATE OR REPLACE TEMP VIEW ingest_src AS
SELECT rowid - (SELECT min(rowid) FROM ingest_file) + 1 AS _ingest_row, *
FROM ingest_file
