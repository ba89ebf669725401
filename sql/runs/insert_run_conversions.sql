-- Stores a SQL engine's run's conversions from the registered table run_conversion_rows
-- (engine/sqlconversions.py: the converting journeys the engine brought back,
-- journeys/converting_rows.sql, numbered from 0 in conversion id order, with their journey's
-- length and their lead's creation: its channel Unassigned when it has none).
-- Grain: one row per conversion. Params: $run_id.
INSERT INTO run_conversion_ids (
    run_id, conversion_no, conversion_id, lead_id, converted_at, value, touches,
    lead_created_at, lead_channel, lead_source_id
)
SELECT
    $run_id, conversion_no, conversion_id, lead_id, converted_at, value, touches,
    lead_created_at, lead_channel, lead_source_id
FROM run_conversion_rows
