-- Stores a run's conversions, as insert_run_conversions.sql does, from the in-memory engine's
-- tables: the registered table run_journey_ids (number, conversion rank, journey length,
-- distinct path), run_conversions (event id, lead, time, value, the lead's creation: journeys/
-- run_conversions.sql) and run_channels (the channel's name). Grain: one row per conversion.
-- Params: $run_id.
INSERT INTO run_conversion_ids (
    run_id, conversion_no, conversion_id, lead_id, converted_at, value, touches,
    lead_created_at, lead_channel, lead_source_id, path_no
)
SELECT
    $run_id, j.journey, c.conversion_id, c.lead_id, c.converted_at, c.value, j.touches,
    c.lead_created_at, coalesce(rc.channel, 'Unassigned'), c.lead_source_id,
    j.path_no
FROM run_journey_ids AS j
JOIN run_conversions AS c ON c.conversion_rank = j.conversion_rank
LEFT JOIN run_channels AS rc ON rc.code = c.lead_channel_code
