-- The run's channels and their codes, from the mapped keys (key_channels.sql): the table
-- journeys/channels.sql makes from touch_channels, with the same names and codes.
-- Grain: one row per channel. Reads run_key_channels. Params: none.
CREATE OR REPLACE TEMP TABLE run_channels AS
SELECT DISTINCT mapped_channel AS channel, channel_code AS code
FROM run_key_channels
