-- Names a portable query's rows as a temporary view of this connection (the SQL engines'
-- view()). Grain: the query's. Params: none; {view} is a quoted identifier and {query} the
-- query of a statement of sql/, its parameters already literals (attribution/portable.py).
CREATE OR REPLACE TEMP VIEW {view} AS {query}
