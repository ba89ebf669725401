-- One row per journey of the run: whether it converted, its conversion, value, day and length,
-- its path (its channel codes in touch order, joined by '>') and the lead source of each of
-- its touches (source ids in touch order, joined by ','; -1: none). The models work on the
-- distinct paths (path_totals.sql); step_cells.sql spreads their shares by source and day.
-- Grouped by lead as well (a journey has one lead) so that Spark can keep the touches where
-- the journeys' numbering put them.
-- Grain: journey. Reads journey_steps. Params: none.
CREATE OR REPLACE TEMP TABLE run_journeys AS
SELECT
    journey,
    max(conversion_id) AS conversion_id,
    max(converting) AS converting,
    max(value) AS value,
    max(day) AS day,
    count(*) AS n,
    string_agg(CAST(channel_code AS VARCHAR), '>' ORDER BY pos) AS path_key,
    string_agg(CAST(source_id AS VARCHAR), ',' ORDER BY pos) AS source_key
FROM journey_steps
GROUP BY lead_id, journey
