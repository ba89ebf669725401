-- Every path-determined model's credit per (channel, lead source, day of conversion) in one
-- pass over the step cells: each (path, position)'s shares of a conversion and of its value
-- (path_shares, a registered table the models computed from the distinct paths: model,
-- path_key, pos, channel, conversion_share, value_share) times the cell's journeys and value.
-- Grain: (model, channel, source_id, day). Reads step_cells, path_shares. Params: none.
SELECT
    h.model,
    h.channel,
    c.source_id,
    c.day,
    sum(c.journeys * h.conversion_share) AS conversions,
    sum(c.value * h.value_share) AS value
FROM step_cells AS c
JOIN path_shares AS h ON h.path_key = c.path_key AND h.pos = c.pos
GROUP BY h.model, h.channel, c.source_id, c.day
ORDER BY h.model, h.channel, c.source_id, c.day
