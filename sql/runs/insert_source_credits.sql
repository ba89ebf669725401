-- Stores a run's credit per model, lead source, channel and day of conversion from the
-- registered Arrow table run_source_credit (already summed; source -1 = touches with no lead
-- source). Grain: (model, source, channel, day). Params: $run_id.
INSERT INTO source_credits (run_id, model, source_id, conversions, value, day, channel)
SELECT
    $run_id, CAST(model AS VARCHAR), NULLIF(CAST(source_id AS INTEGER), -1), conversions, value,
    day, CAST(channel AS VARCHAR)
FROM run_source_credit
