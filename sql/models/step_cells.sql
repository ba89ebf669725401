-- The converting journeys' touches counted per (distinct path, position, lead source, day of
-- conversion), with the journeys' value: every path-determined model's credit is its share of
-- a (path, position) times these (share_cells.sql). Journeys are first summed per (path,
-- sources, day), then spread over their positions (run_positions: 1 to the longest path, a
-- registered table). A view: share_cells.sql reads it once, in the same Spark job.
-- Grain: (path_key, pos, source_id, day). Reads run_journeys, run_positions. Params: none.
CREATE OR REPLACE TEMP VIEW step_cells AS
WITH journeys AS (
    SELECT path_key, source_key, day, n, count(*) AS journeys, sum(value) AS value
    FROM run_journeys
    WHERE converting = 1
    GROUP BY path_key, source_key, day, n
),
spread AS (
    SELECT
        j.path_key,
        p.pos,
        CAST(split_part(j.source_key, ',', p.pos) AS INTEGER) AS source_id,
        j.day,
        j.journeys,
        j.value
    FROM journeys AS j
    JOIN run_positions AS p ON p.pos <= j.n
)
SELECT path_key, pos, source_id, day, sum(journeys) AS journeys, sum(value) AS value
FROM spread
GROUP BY path_key, pos, source_id, day
