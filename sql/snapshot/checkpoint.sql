-- Writes the warehouse's WAL into its file before a snapshot is copied from it. A command: no
-- rows. Params: none.
CHECKPOINT
