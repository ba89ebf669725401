-- Stores the numbers a run gives its conversions, from the registered table run_journey_ids.
-- Grain: one row per conversion. Params: $run_id.
INSERT INTO run_conversion_ids SELECT $run_id, journey, conversion_id FROM run_journey_ids
