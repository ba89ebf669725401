-- Reads a small upload whole, as the bulk path's reader does (sql/ingest/read_READER.sql, its
-- query filled in below), with each row's text as the quarantine keeps it (as
-- ingest_small/insert_rejected writes it for a rejected row: the bulk path's
-- ingest/stage_rejected, whose view adds and removes _ingest_row). Grain: one row per record,
-- in file order. Params: $path.
SELECT *, CAST(json_remove(to_json(f), '$._ingest_row') AS VARCHAR) AS _ingest_raw
FROM (
{reader}
) AS f
