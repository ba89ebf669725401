-- Which channels each converting journey touched and how often, by conversion number (see
-- journey_ids.sql): the rows of journey_channels. Grain: (conversion_no, channel).
-- Reads journey_touches, run_journey_ids. Params: none.
SELECT
    j.journey AS conversion_no,
    t.channel,
    CAST(count(*) AS INTEGER) AS touches
FROM journey_touches AS t
JOIN run_journey_ids AS j ON j.conversion_id = t.conversion_id
WHERE t.converting = 1
GROUP BY j.journey, t.channel
ORDER BY conversion_no, channel
