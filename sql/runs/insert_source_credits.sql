-- Stores a run's credit per model and lead source, summed from the per-touch credit in the
-- registered Arrow table run_touch_credit. Grain: (model, source). Params: $run_id.
INSERT INTO source_credits
SELECT $run_id, model, NULLIF(source_id, -1), sum(conversions), sum(value)
FROM run_touch_credit
GROUP BY model, source_id
