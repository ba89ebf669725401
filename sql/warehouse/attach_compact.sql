-- Attaches a new, empty database file as compact_copy, the target of a compaction's copy.
-- A command: no rows. Params: $path (the new file, beside the warehouse).
ATTACH $path AS compact_copy
