-- The touches of the run's journeys (journeys/journey_touches.sql) with each journey's length:
-- what every model statement reads. Portable SQL (runs on DuckDB and on Spark).
-- Grain: (journey, pos). Reads journey_touches. Params: none.
CREATE OR REPLACE TEMP TABLE journey_steps AS
SELECT
    journey, converting, conversion_id, value, day, channel, channel_code, source_id,
    occurred_at, pos,
    count(*) OVER (PARTITION BY journey) AS n
FROM journey_touches
