-- The run's conversions numbered from 0 in conversion id order (the numbering of the DuckDB
-- engine's journeys), with their journey's length. Grain: conversion. Reads journey_steps
-- (a kept table: its first touch of each converting journey carries the length, so the
-- windowed journey_touches view is not computed again). Params: none.
CREATE OR REPLACE TEMP TABLE run_journey_ids AS
SELECT
    CAST(row_number() OVER (ORDER BY conversion_id) - 1 AS INTEGER) AS journey,
    conversion_id,
    CAST(n AS INTEGER) AS touches
FROM journey_steps
WHERE converting = 1 AND pos = 1
