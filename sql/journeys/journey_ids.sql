-- The run's conversions numbered from 0 in conversion id order (the numbering of the DuckDB
-- engine's journeys), with their journey's length. Grain: conversion. Reads journey_touches.
-- Params: none.
CREATE OR REPLACE TEMP TABLE run_journey_ids AS
SELECT
    CAST(row_number() OVER (ORDER BY conversion_id) - 1 AS INTEGER) AS journey,
    conversion_id,
    CAST(count(*) AS INTEGER) AS touches
FROM journey_touches
WHERE converting = 1
GROUP BY conversion_id
