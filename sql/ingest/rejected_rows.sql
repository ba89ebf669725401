-- The rejected rows of one batch, in file order. Grain: one row per rejected file row.
-- Params: $batch_id, $limit.
SELECT row_number, reason, raw_row
FROM rejected_rows
WHERE batch_id = $batch_id
ORDER BY row_number
LIMIT $limit
