-- The run's conversions numbered from 0 in conversion id order (the numbering of the DuckDB
-- engine's journeys), with their journey's length. Grain: conversion. Reads run_journeys
-- (a kept table of one row per journey). Params: none.
CREATE OR REPLACE TEMP TABLE run_journey_ids AS
SELECT
    CAST(row_number() OVER (ORDER BY conversion_id) - 1 AS INTEGER) AS journey,
    conversion_id,
    CAST(n AS INTEGER) AS touches
FROM run_journeys
WHERE converting = 1
