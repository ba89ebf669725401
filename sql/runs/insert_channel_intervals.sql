-- Stores a run's interval bounds from the registered Arrow table run_channel_intervals.
-- Grain: one row per (period, model, channel). Params: $run_id.
INSERT INTO channel_intervals
SELECT $run_id, period_start, period_end, model, channel, conversions_low, conversions_high,
       value_low, value_high, share_low, share_high, value_share_low, value_share_high,
       removal_conversions_low, removal_conversions_high, removal_value_low, removal_value_high
FROM run_channel_intervals
