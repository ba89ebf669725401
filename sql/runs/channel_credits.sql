-- One run's credit per model and channel: models in the order the run named them, channels by
-- name. Grain: (model, channel). Params: $run_id.
SELECT c.model, c.channel, c.conversions, c.value, c.removal_effect_conversions,
       c.removal_effect_value
FROM channel_credits AS c
JOIN attribution_runs AS r ON r.run_id = c.run_id
WHERE c.run_id = $run_id
ORDER BY list_position(r.models, c.model), c.channel
