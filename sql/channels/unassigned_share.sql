-- The share of touches (lead creations included) whose channel is Unassigned; NULL when there
-- are none. Grain: one row. Reads touch_channels (map_touches.sql). Params: none.
SELECT count_if(channel = 'Unassigned') * 1.0e0 / NULLIF(count(*), 0) AS share
FROM touch_channels
