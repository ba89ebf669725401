-- Credit of the models fitted on channel sets (Shapley, Markov's per-conversion split): each
-- converting journey's share of a channel, from the registered table set_shares (set_key,
-- channel_code, conversion_share, value_share), split evenly over that channel's touches in
-- the journey. Grain and columns: see first_touch.sql.
-- Reads journey_steps, run_journeys, set_shares. Params: none.
SELECT
    s.journey, s.channel, s.source_id, s.day, s.value,
    1.0e0 * h.conversion_share / count(*) OVER (PARTITION BY s.journey, s.channel_code)
        AS conversion_share,
    1.0e0 * h.value_share / count(*) OVER (PARTITION BY s.journey, s.channel_code)
        AS value_share
FROM journey_steps AS s
JOIN run_journeys AS j ON j.journey = s.journey
JOIN set_shares AS h ON h.set_key = j.set_key AND h.channel_code = s.channel_code
WHERE s.converting = 1
