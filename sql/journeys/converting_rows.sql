-- The run's converting journeys, one row each, as the stored run's conversions and their
-- channels need them (engine/sqlconversions.py numbers them in conversion id order and counts
-- each journey's channels from its path and sources): conversion, lead, time, value, length,
-- path (channel codes joined by '>'), sources (source ids joined by ','; -1: none) and the
-- lead's creation (time, channel code: NULL when none, source).
-- Grain: conversion (with touches in its window). Reads run_journeys. Params: none.
SELECT
    conversion_id, lead_id, converted_at, value, n, path_key, source_key, lead_created_at,
    lead_channel_code, lead_source_id
FROM run_journeys
WHERE converting = 1
