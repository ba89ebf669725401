-- Touches per channel and how their channel was found, for the data-quality panel.
-- Grain: one row per (channel, mapped_by), most touches first.
-- Reads touch_channels (map_touches.sql). Params: none.
SELECT channel, mapped_by, count(*) AS touches
FROM touch_channels
GROUP BY channel, mapped_by
ORDER BY touches DESC, channel, mapped_by
