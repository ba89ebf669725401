-- One row per journey of the run: whether it converted, its conversion (lead, time, value,
-- day, the lead's creation) and length, its path (its channel codes in touch order, joined by
-- '>') and the lead source of each of its touches (source ids in touch order, joined by ',';
-- -1: none), from the first touch of each journey (journey_touches.sql computes them in
-- place: no shuffle). The models work on the distinct paths (path_totals.sql); step_cells.sql
-- spreads their shares by source and day; converting_rows.sql brings the conversions back.
-- Grain: journey. Reads journey_steps. Params: none.
CREATE OR REPLACE TEMP TABLE run_journeys AS
SELECT
    lead_id, conversion_id, converting, value, converted_at, day, n, path_key, source_key,
    lead_created_at, lead_channel_code, lead_source_id
FROM journey_steps
WHERE pos = 1 AND place = 0
