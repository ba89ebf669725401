-- The largest value of one column (NULL for an empty table). Grain: one row. Params: none bound;
-- {table} and {column} come from backup/sequence_defaults, quoted by quote_ident.
SELECT max({column}) AS top FROM {table}
