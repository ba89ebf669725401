-- How many conversions the run has, and how many of their leads' touches the lookback window
-- left out (too early, or at or after the conversion), among the touches mapped for the run
-- (from the earliest lookback to the run's end). Grain: one row. Reads run_conversions,
-- touch_channels. Params: $lookback (INTERVAL).
SELECT
    (SELECT count(*) FROM run_conversions) AS conversions,
    count_if(tc.occurred_at >= c.converted_at) AS touches_after_conversion,
    count_if(tc.occurred_at < c.converted_at - $lookback) AS touches_too_early
FROM run_conversions AS c
JOIN touch_channels AS tc ON tc.lead_id = c.lead_id
