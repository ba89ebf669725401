-- Stores a run's conversions with their numbers, from the registered table run_journey_ids
-- (number, event id, journey length), the connection's run_conversions (lead, time, value) and
-- touch_channels (the channel of the lead's creation), and leads.
-- Grain: one row per conversion. Params: $run_id.
INSERT INTO run_conversion_ids (
    run_id, conversion_no, conversion_id, lead_id, converted_at, value, touches,
    lead_created_at, lead_channel, lead_source_id
)
SELECT
    $run_id, j.journey, j.conversion_id, c.lead_id, c.converted_at, c.value, j.touches,
    l.created_at, coalesce(tc.channel, 'Unassigned'), coalesce(tc.source_id, l.source_id)
FROM run_journey_ids AS j
JOIN run_conversions AS c ON c.conversion_id = j.conversion_id
JOIN leads AS l ON l.lead_id = c.lead_id
LEFT JOIN touch_channels AS tc ON tc.lead_id = c.lead_id AND tc.is_lead_creation
