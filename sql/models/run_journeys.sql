-- One row per journey of the run: whether it converted, its value and length, its channel set
-- (its distinct channel codes ascending, joined by ',') and its path (its channel codes in
-- touch order, joined by '>'), for the models that work on sets and paths.
-- Grain: journey. Reads journey_steps. Params: none.
CREATE OR REPLACE TEMP TABLE run_journeys AS
WITH channel_sets AS (
    SELECT journey, string_agg(CAST(channel_code AS VARCHAR), ',' ORDER BY channel_code) AS set_key
    FROM (SELECT DISTINCT journey, channel_code FROM journey_steps) AS d
    GROUP BY journey
)
SELECT
    s.journey,
    max(s.converting) AS converting,
    max(s.value) AS value,
    count(*) AS n,
    c.set_key,
    string_agg(CAST(s.channel_code AS VARCHAR), '>' ORDER BY s.pos) AS path_key
FROM journey_steps AS s
JOIN channel_sets AS c ON c.journey = s.journey
GROUP BY s.journey, c.set_key
