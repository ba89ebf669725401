-- A fingerprint of the rows of one warehouse table as the lake export writes them, to tell
-- whether the exported file is still current: the row count and two sums, independent of row
-- order, of each row's hash. Grain: one row. Params: none; {table} is an allow-listed, quoted
-- table name and {columns} its allow-listed, quoted columns (or *).
SELECT
    count(*) AS n,
    CAST(sum(hash(r)) AS VARCHAR) AS hash_sum,
    CAST(bit_xor(hash(r)) AS VARCHAR) AS hash_xor
FROM (SELECT {columns} FROM {table}) AS r
