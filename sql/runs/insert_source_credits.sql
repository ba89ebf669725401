-- Stores a run's credit per model and lead source from the registered Arrow table
-- run_source_credit (already summed; source -1 = touches with no lead source).
-- Grain: (model, source). Params: $run_id.
INSERT INTO source_credits
SELECT $run_id, CAST(model AS VARCHAR), NULLIF(CAST(source_id AS INTEGER), -1), conversions, value
FROM run_source_credit
