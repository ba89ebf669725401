-- Detaches snapshot_publish, which writes its last changes into the file and closes it; also
-- run before a publish, in case one that failed half-way left it attached.
-- A command: no rows. Params: none.
DETACH DATABASE IF EXISTS snapshot_publish
