-- Stores a run's credit per model, channel and day of conversion from the registered Arrow
-- table run_channel_day_credit (already summed). Grain: (model, channel, day). Params: $run_id.
INSERT INTO channel_day_credits
SELECT $run_id, CAST(model AS VARCHAR), CAST(channel AS VARCHAR), day, conversions, value
FROM run_channel_day_credit
