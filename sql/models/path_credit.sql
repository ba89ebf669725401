-- Credit of the models fitted on exact paths (fractribution): each converting touch's share,
-- from the registered table path_shares (path_key, pos, share).
-- Grain and columns: see first_touch.sql. Reads journey_steps, run_journeys, path_shares.
-- Params: none.
SELECT
    s.journey, s.channel, s.source_id, s.day, s.value, h.share AS conversion_share, h.share AS value_share
FROM journey_steps AS s
JOIN run_journeys AS j ON j.journey = s.journey
JOIN path_shares AS h ON h.path_key = j.path_key AND h.pos = s.pos
WHERE s.converting = 1
