-- Turns off file and network access outside the allowed directories for the rest of the
-- restore's connection (it cannot be turned back on): a doctored schema.sql reads or writes no
-- other file. A command: no rows. Params: none.
SET enable_external_access = false
