-- Copies every table, sequence and macro of the warehouse, schema and rows, into
-- snapshot_publish. A command: no rows. Params: none bound; {warehouse} is the warehouse's
-- database name, quoted by quote_ident (identifiers cannot be bound).
COPY FROM DATABASE {warehouse} TO snapshot_publish
