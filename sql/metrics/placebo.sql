-- A run's placebo check: the credit each model gives a channel with no effect, with its
-- interval and share of conversions. Grain: model. Reads run_placebo. Params: $run_id.
SELECT model, conversions, conversions_low, conversions_high, share
FROM run_placebo
WHERE run_id = $run_id
ORDER BY model
