-- A run's credit per lead source and model for the conversions of one period [$from, $to)
-- inside its window (source_id NULL: touches with no lead source). Grain: (source, model).
-- Reads source_credits. Params: $run_id, $from, $to (TIMESTAMP, UTC; whole days).
SELECT source_id, model, sum(conversions) AS conversions, sum(value) AS revenue
FROM source_credits
WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
GROUP BY source_id, model
ORDER BY source_id, model
