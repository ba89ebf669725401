-- A run's stored interval bounds for the conversions of exactly one period [$from, $to) (the
-- run's window, or a report's period it stored intervals for), with the settings they were
-- drawn with. Grain: (model, channel). Reads channel_intervals, run_intervals.
-- Params: $run_id, $from, $to (TIMESTAMP, UTC).
SELECT
    c.model, c.channel,
    c.conversions_low, c.conversions_high, c.value_low, c.value_high,
    c.share_low, c.share_high, c.value_share_low, c.value_share_high,
    s.level, s.resamples, s.seed, s.method, s.basis
FROM channel_intervals AS c
JOIN run_intervals AS s
    ON s.run_id = c.run_id AND s.period_start = c.period_start AND s.period_end = c.period_end
WHERE c.run_id = $run_id AND c.period_start = $from AND c.period_end = $to
ORDER BY c.model, c.channel
