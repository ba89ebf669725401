-- Stores a run's per-channel credit from the registered Arrow table run_credit_rows.
-- Grain: one row per (model, channel). Params: $run_id.
INSERT INTO channel_credits
SELECT $run_id, model, channel, conversions, value, removal_effect_conversions,
       removal_effect_value
FROM run_credit_rows
