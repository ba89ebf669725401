-- Names a query's rows as a temporary view of this connection (Warehouse.temp_view, the SQL
-- engines' view()). Grain: the query's. Params: none; the view's name is a quoted identifier
-- and the query a statement of sql/ with its parameters as literals (statements.inline()).
CREATE OR REPLACE TEMP VIEW {view} AS {query}
