-- Writes the warehouse's WAL into its file, and frees the blocks of deleted rows for reuse.
-- A command: no rows. Params: none.
CHECKPOINT
