-- The touches of the run's journeys (journeys/journey_touches.sql), computed once and kept:
-- with each journey's length, path, sources and time_decay shares, and a converting journey's
-- touches outside its window (place -1 or 1): what the journeys' paths, time_decay and the
-- window figures read.
-- Portable SQL (runs on DuckDB and on Spark).
-- Grain: (lead, conversion, place, pos). Reads journey_touches. Params: none.
CREATE OR REPLACE TEMP TABLE journey_steps AS
SELECT
    lead_id, converting, conversion_id, value, converted_at, day, lead_created_at,
    lead_channel_code, lead_source_id, channel_code, source_id, occurred_at, place, pos, n,
    path_key, source_key, decay_share
FROM journey_touches
