-- Attaches a new, empty database file as snapshot_publish, the target of a snapshot's copy.
-- A command: no rows. Params: $path (the temporary file), $storage_version (a DuckDB
-- version such as 'v1.5.0' that older clients can read, or 'latest').
ATTACH $path AS snapshot_publish (STORAGE_VERSION $storage_version)
