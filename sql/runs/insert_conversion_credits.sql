-- Stores a run's credit per model, conversion and channel, summed from the per-touch credit in
-- run_touch_credit (journey = index of the conversion in run_journey_ids, channel_code = index
-- in run_channel_names). Grain: (model, conversion, channel). Params: $run_id.
INSERT INTO conversion_credits
SELECT $run_id, t.model, j.conversion_id, c.channel, sum(t.conversions), sum(t.value)
FROM run_touch_credit AS t
JOIN run_journey_ids AS j ON j.journey = t.journey
JOIN run_channel_names AS c ON c.channel_code = t.channel_code
GROUP BY t.model, j.conversion_id, c.channel
