-- The number of rows of one table. Grain: one row. Params: none bound; the table's qualified
-- name (database, schema, table, each quoted by quote_ident) is filled in.
SELECT count(*) AS n FROM {table}
