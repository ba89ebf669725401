-- The run's channels and their codes, from the mapped keys (key_channels.sql): every channel a
-- touch of the run maps to, numbered from 0 in name order.
-- Grain: one row per channel. Reads run_key_channels. Params: none.
CREATE OR REPLACE TEMP TABLE run_channels AS
SELECT DISTINCT mapped_channel AS channel, channel_code AS code
FROM run_key_channels
