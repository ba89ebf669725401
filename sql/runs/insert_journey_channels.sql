-- Stores which channels each converting journey of a run touched, how often and how many of
-- those touches had no lead source, from the registered Arrow table run_journey_channels.
-- Grain: (conversion, channel). Params: $run_id.
INSERT INTO journey_channels (run_id, conversion_no, channel, touches, touches_without_source)
SELECT $run_id, conversion_no, CAST(channel AS VARCHAR), touches, touches_without_source
FROM run_journey_channels
