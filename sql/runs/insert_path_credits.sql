-- Stores a run's non-zero credit per model, distinct path and channel from the registered Arrow
-- table run_path_credit: credit per conversion of the path, and per unit of its value.
-- Grain: (model, path, channel). Params: $run_id.
INSERT INTO path_credits
SELECT $run_id, CAST(model AS VARCHAR), path_no, CAST(channel AS VARCHAR), conversions, value
FROM run_path_credit
