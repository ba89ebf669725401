-- time_decay's credit per (channel, lead source, day of conversion), summed from its touches'
-- shares (touch_credit: time_decay.sql's rows; the other models' cells are share_cells.sql).
-- The run's per-channel, per-channel-day and per-source-day credit are sums of these cells.
-- Grain: (channel, source_id, day). Reads touch_credit. Params: none.
SELECT
    channel,
    source_id,
    day,
    sum(conversion_share) AS conversions,
    sum(value * value_share) AS value
FROM touch_credit
GROUP BY channel, source_id, day
ORDER BY channel, source_id, day
