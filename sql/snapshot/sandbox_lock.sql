-- Locks an analyst session's configuration, so that no query can lift the sandbox (external
-- access, extensions) or change limits. A command: no rows. Params: none.
SET lock_configuration = true
