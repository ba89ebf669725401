-- channel_period.sql's figures of a pruned run, as kept when it was pruned (for the periods
-- its reports read). Grain: one row per channel. Reads kept_channel_periods.
-- Params: $run_id, $from, $to (TIMESTAMP, UTC).
SELECT
    channel, leads, converted_leads, conversions, revenue, days_to_convert_median,
    days_to_convert_p90, journeys, touches_per_journey, participation, spend
FROM kept_channel_periods
WHERE run_id = $run_id AND period_start = $from AND period_end = $to
ORDER BY channel
