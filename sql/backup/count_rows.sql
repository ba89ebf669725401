-- The number of rows of one table. Grain: one row. Params: none bound; {table} is a table name
-- read from duckdb_tables(), quoted by quote_ident.
SELECT count(*) AS n FROM {table}
