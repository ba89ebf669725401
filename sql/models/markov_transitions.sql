-- Markov chain counts of order $order: a state is a window of $order consecutive channel codes
-- joined by '>' (a journey shorter than $order is one state), consecutive equal states of a
-- journey collapse into one. Every journey goes '(start)' -> its states -> '(end)'; each row
-- counts the journeys making a transition, and for transitions into '(end)' how many of them
-- converted and their value. Grain: (from_state, to_state). Reads journey_steps.
-- Params: $order (INTEGER, 1 to 4).
WITH windows AS (
    SELECT
        journey, converting, value, pos, n,
        concat_ws(
            '>',
            CAST(channel_code AS VARCHAR),
            CASE WHEN $order >= 2 THEN
                CAST(lead(channel_code, 1) OVER (PARTITION BY journey ORDER BY pos) AS VARCHAR)
            END,
            CASE WHEN $order >= 3 THEN
                CAST(lead(channel_code, 2) OVER (PARTITION BY journey ORDER BY pos) AS VARCHAR)
            END,
            CASE WHEN $order >= 4 THEN
                CAST(lead(channel_code, 3) OVER (PARTITION BY journey ORDER BY pos) AS VARCHAR)
            END
        ) AS state
    FROM journey_steps
),
starts AS (
    SELECT
        journey, converting, value, pos, state,
        lag(state) OVER (PARTITION BY journey ORDER BY pos) AS previous
    FROM windows
    WHERE pos <= n - $order + 1 OR (pos = 1 AND n < $order)
),
kept AS (
    SELECT
        journey, converting, value, state,
        lag(state) OVER (PARTITION BY journey ORDER BY pos) AS from_state,
        lead(state) OVER (PARTITION BY journey ORDER BY pos) AS to_state
    FROM starts
    WHERE previous IS NULL OR previous <> state
),
sides AS (
    -- Each kept state moves on (side 1); a journey's first also enters from '(start)' (side 0).
    -- One pass over kept: Spark would compute it again for each branch of a UNION.
    SELECT 0 AS side
    UNION ALL
    SELECT 1
),
moves AS (
    SELECT
        CASE WHEN s.side = 0 THEN '(start)' ELSE k.state END AS from_state,
        CASE WHEN s.side = 0 THEN k.state ELSE coalesce(k.to_state, '(end)') END AS to_state,
        CASE WHEN s.side = 1 AND k.to_state IS NULL THEN k.converting ELSE 0 END AS converting,
        CASE WHEN s.side = 1 AND k.to_state IS NULL THEN k.value ELSE 0.0e0 END AS value
    FROM kept AS k
    CROSS JOIN sides AS s
    WHERE s.side = 1 OR k.from_state IS NULL
)
SELECT
    from_state,
    to_state,
    count(*) AS journeys,
    sum(converting) AS conversions,
    sum(value) AS value
FROM moves
GROUP BY from_state, to_state
ORDER BY from_state, to_state
