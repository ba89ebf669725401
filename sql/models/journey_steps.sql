-- The touches of the run's journeys (journeys/journey_touches.sql), computed once and kept:
-- with each journey's length, path and sources: what time_decay, the journeys' paths and the
-- per-conversion channel rows read.
-- Portable SQL (runs on DuckDB and on Spark).
-- Grain: (journey, pos). Reads journey_touches. Params: none.
CREATE OR REPLACE TEMP TABLE journey_steps AS
SELECT
    journey, lead_id, converting, conversion_id, value, day, channel, channel_code, source_id,
    occurred_at, pos, n, path_key, source_key
FROM journey_touches
