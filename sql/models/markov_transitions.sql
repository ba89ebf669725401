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
moves AS (
    SELECT '(start)' AS from_state, state AS to_state, 0 AS converting, 0.0e0 AS value
    FROM kept
    WHERE from_state IS NULL
    UNION ALL
    SELECT state, to_state, 0, 0.0e0 FROM kept WHERE to_state IS NOT NULL
    UNION ALL
    SELECT state, '(end)', converting, value FROM kept WHERE to_state IS NULL
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
