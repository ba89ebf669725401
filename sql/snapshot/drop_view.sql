-- Removes a view the snapshot copied from the warehouse (a migration made it there too), so that
-- sql/views/ creates it anew over the snapshot's own tables. A command: no rows. Params: none
-- bound; {view} is a name from sql/views/, quoted by quote_ident.
DROP VIEW IF EXISTS {view}
