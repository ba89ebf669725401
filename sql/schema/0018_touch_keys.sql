-- Touches without a touch_id are keyed by their lead's number and time, not by md5 of text built
-- per row: the lead's lead_no in the high 64 bits of touch_key and, in the low ones, the time
-- (epoch microseconds) XOR md5_number_lower of what touched as stored:
-- channel|source_id|utm_source|utm_medium|utm_campaign, NULL as ''. Ingest hashes what touched
-- once per distinct value of a file (sql/ingest/touches_validate.sql), and md5 of each row's
-- text was a third of validating a file of touches. Here every stored touch without a touch_id
-- is keyed again by that formula, so that a file loaded before dedupes against a new load of
-- the same rows. A touch with a touch_id keeps md5 of 'id:' and its touch_id.
UPDATE touches
SET touch_key = (CAST(lead_no AS UHUGEINT) << 64)
    | xor(CAST(epoch_us(occurred_at) AS UBIGINT),
          md5_number_lower(concat(coalesce(channel, ''), '|',
              coalesce(CAST(source_id AS VARCHAR), ''), '|', coalesce(utm_source, ''), '|',
              coalesce(utm_medium, ''), '|', coalesce(utm_campaign, ''))))
WHERE touch_id IS NULL;
