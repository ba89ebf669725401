-- Stores a run's placebo check from the registered Arrow table run_placebo_rows.
-- Grain: one row per model. Params: $run_id.
INSERT INTO run_placebo
SELECT $run_id, model, conversions, conversions_low, conversions_high, share
FROM run_placebo_rows
