-- Which channels each converting journey touched, how often, and how many of those touches had
-- no lead source, by conversion number (see journey_ids.sql): the rows of journey_channels.
-- Grain: (conversion_no, channel).
-- Reads journey_steps (kept; not the journey_touches view, computed again on each read),
-- run_journey_ids. Params: none.
SELECT
    j.journey AS conversion_no,
    t.channel,
    CAST(count(*) AS INTEGER) AS touches,
    CAST(count_if(t.source_id = -1) AS INTEGER) AS touches_without_source
FROM journey_steps AS t
JOIN run_journey_ids AS j ON j.conversion_id = t.conversion_id
WHERE t.converting = 1
GROUP BY j.journey, t.channel
ORDER BY conversion_no, channel
