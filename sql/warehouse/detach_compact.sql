-- Detaches compact_copy, which writes its last changes into the file and closes it; also run
-- first, in case a compaction that failed half-way left it attached. A command: no rows.
-- Params: none.
DETACH DATABASE IF EXISTS compact_copy
