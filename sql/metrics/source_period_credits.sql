-- A run's credit per lead source and model for the conversions of one period [$from, $to)
-- inside its window; credit of touches with no lead source per channel. Grain: (source_key,
-- model), source_key as in source_period.sql: the source's id, or 'unknown:' and the channel.
-- Reads source_credits. Params: $run_id, $from, $to (TIMESTAMP, UTC; whole days).
SELECT
    coalesce(
        CAST(source_id AS VARCHAR), 'unknown:' || coalesce(channel, 'Unassigned')
    ) AS source_key,
    model,
    sum(conversions) AS conversions,
    sum(value) AS revenue
FROM source_credits
WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
GROUP BY 1, model
ORDER BY 1, model
