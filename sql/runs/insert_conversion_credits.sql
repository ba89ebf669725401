-- Stores a run's non-zero credit per model, conversion and channel from the registered Arrow
-- table run_pair_credit (already summed per conversion and channel): models whose credit is
-- not a function of the path alone (time decay).
-- Grain: (model, conversion, channel). Params: $run_id.
INSERT INTO conversion_credit_rows
SELECT $run_id, CAST(model AS VARCHAR), conversion_no, CAST(channel AS VARCHAR), conversions, value
FROM run_pair_credit
