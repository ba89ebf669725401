-- The distinct mapping keys of a run's touches and lead creations: the values channel mapping
-- reads (source, channel, UTM values), each once, so that the rules (key_channels.sql) are
-- matched per key, not per touch. Portable SQL: both engines map channels this way.
-- Grain: one row per distinct (source_id, channel, utm_source, utm_medium, utm_campaign).
-- Reads run_touch_rows (channels/touch_rows.sql, for the run's window). Params: none.
CREATE OR REPLACE TEMP TABLE run_mapping_keys AS
SELECT DISTINCT source_id, channel, utm_source, utm_medium, utm_campaign
FROM run_touch_rows
