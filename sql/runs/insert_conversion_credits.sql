-- Stores a run's non-zero credit per model, conversion and channel, summed from the per-touch
-- credit in run_touch_credit (channel_code = index in run_channel_names).
-- Grain: (model, conversion, channel). Params: $run_id.
INSERT INTO conversion_credits
SELECT $run_id, t.model, t.journey, c.channel, sum(t.conversions), sum(t.value)
FROM run_touch_credit AS t
JOIN run_channel_names AS c ON c.channel_code = t.channel_code
GROUP BY t.model, t.journey, c.channel
HAVING sum(t.conversions) <> 0 OR sum(t.value) <> 0
