-- How long leads took to convert, for the conversions of one period [$from, $to) of a run:
-- conversions per whole day from lead creation (0, 1, 2, ...; $cap and more in the last bin).
-- Grain: one row per day bin with conversions. Reads run_conversion_ids.
-- Params: $run_id, $from, $to (TIMESTAMP, UTC), $cap (INTEGER).
SELECT
    least(CAST(floor(date_diff('second', lead_created_at, converted_at) / 86400.0) AS INTEGER),
        $cap) AS days,
    count(*) AS conversions
FROM run_conversion_ids
WHERE run_id = $run_id AND converted_at >= $from AND converted_at < $to
GROUP BY 1
ORDER BY 1
