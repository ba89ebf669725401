-- Stores which channels each converting journey of a run touched and how often, from the
-- registered Arrow table run_journey_channels. Grain: (conversion, channel). Params: $run_id.
INSERT INTO journey_channels
SELECT $run_id, conversion_no, CAST(channel AS VARCHAR), touches
FROM run_journey_channels
