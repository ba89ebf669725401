-- Makes a database this connection's default, so that unqualified names (in the analyst
-- views and their checks) resolve in it. A command: no rows. Params: none bound; {database}
-- is a database name quoted by quote_ident.
USE {database}
