-- Copies every table, sequence (with its next value) and macro of the warehouse, schema and
-- rows, into compact_copy. A command: no rows. Params: none bound; the warehouse's database
-- name is filled in, quoted by quote_ident (identifiers cannot be bound).
COPY FROM DATABASE {warehouse} TO compact_copy
