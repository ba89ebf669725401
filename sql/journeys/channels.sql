-- The channels of this connection's touch_channels, numbered from 0 in name order: the codes
-- the models use. Grain: one row per channel. Params: none.
CREATE OR REPLACE TEMP TABLE run_channels AS
SELECT channel, CAST(row_number() OVER (ORDER BY channel) - 1 AS INTEGER) AS code
FROM (SELECT DISTINCT channel FROM touch_channels) AS c
