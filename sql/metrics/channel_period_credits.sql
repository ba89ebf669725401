-- A run's credit per channel and model for the conversions of one period [$from, $to) inside
-- its window. Grain: (channel, model). Reads channel_day_credits.
-- Params: $run_id, $from, $to (TIMESTAMP, UTC; whole days).
SELECT channel, model, sum(conversions) AS conversions, sum(value) AS revenue
FROM channel_day_credits
WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
GROUP BY channel, model
ORDER BY channel, model
