-- Last non-direct: all credit to the journey's last touch whose channel is not in run_direct
-- (a registered table of channel names); the last touch when every touch is direct.
-- Grain and columns: see first_touch.sql. Reads journey_steps, run_direct. Params: none.
WITH marked AS (
    SELECT
        s.journey, s.channel, s.source_id, s.day, s.value, s.pos, s.n,
        max(CASE WHEN d.channel IS NULL THEN s.pos END) OVER (PARTITION BY s.journey)
            AS last_other
    FROM journey_steps AS s
    LEFT JOIN run_direct AS d ON d.channel = s.channel
    WHERE s.converting = 1
)
SELECT journey, channel, source_id, day, value, 1.0e0 AS conversion_share, 1.0e0 AS value_share
FROM marked
WHERE pos = coalesce(last_other, n)
