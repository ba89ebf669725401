-- The id of a small upload's batch, taken before its rows are written (its record is written
-- last, with its counts: ingest_small/record_batch). Grain: one row. Params: none.
SELECT CAST(nextval('ingest_batches_id_seq') AS INTEGER) AS batch_id
