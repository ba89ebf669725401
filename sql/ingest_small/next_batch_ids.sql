-- The ids of a group of small uploads' batches, taken before their rows are written (their
-- records are written last, with their counts: ingest_small/record_batches).
-- Grain: one row per batch. Params: $batches (how many).
SELECT CAST(nextval('ingest_batches_id_seq') AS INTEGER) AS batch_id
FROM range($batches)
