-- The name this connection's warehouse is attached under (the file's stem).
-- Grain: one row. Params: none.
SELECT current_database() AS name
