-- Stores a run's conversions with their numbers, from the registered table run_journey_ids
-- (number, event id, journey length) and the connection's run_conversions (lead, time, value).
-- Grain: one row per conversion. Params: $run_id.
INSERT INTO run_conversion_ids (
    run_id, conversion_no, conversion_id, lead_id, converted_at, value, touches
)
SELECT $run_id, j.journey, j.conversion_id, c.lead_id, c.converted_at, c.value, j.touches
FROM run_journey_ids AS j
JOIN run_conversions AS c ON c.conversion_id = j.conversion_id
