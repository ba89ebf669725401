-- The columns of the kind's validate query (filled in below) and their types, without running
-- it. Grain: one row per column. Params: those of the validate query.
DESCRIBE {query}
