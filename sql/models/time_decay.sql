-- Time decay: each touch weighs 2^(-t / half_life_days), t its time before the journey's
-- latest touch in days, weights normalised per journey: journey_touches.sql computes these
-- shares where it numbers the touches (decay_share). Its shares depend on the touches' times,
-- not only on the path, so it is a statement of its own (the other models run on the distinct
-- paths). Grain: one row per touch of a converting journey: path_key, channel, source_id, day,
-- value (the conversion's), conversion_share and value_share (the touch's share of the
-- conversion and of its value). Reads journey_steps, run_channels (the channels' names).
-- Params: none.
SELECT
    s.path_key,
    c.channel,
    s.source_id,
    s.day,
    s.value,
    s.decay_share AS conversion_share,
    s.decay_share AS value_share
FROM journey_steps AS s
JOIN run_channels AS c ON c.code = s.channel_code
WHERE s.converting = 1 AND s.place = 0
