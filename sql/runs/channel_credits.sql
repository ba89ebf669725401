-- One run's credit per model and channel, models in run order then channels by name.
-- Grain: (model, channel). Params: $run_id.
SELECT model, channel, conversions, value, removal_effect_conversions, removal_effect_value
FROM channel_credits
WHERE run_id = $run_id
ORDER BY model, channel
