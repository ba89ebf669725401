-- The touches of each conversion's journey: its lead's touches (lead creation included) in the
-- half-open window [converted_at - lookback, converted_at), in time order; ties by ingest order
-- (batch, row), then the touch before the lead creation; with both times, so that the caller
-- can tell each touch's time before its conversion. Grain: (conversion_id, pos). Reads run_conversions, touch_channels,
-- run_channels (channel_code).
-- Params: $lookback (INTERVAL).
SELECT
    c.conversion_id,
    c.value,
    rc.code AS channel_code,
    coalesce(tc.source_id, -1) AS source_id,
    c.converted_at,
    tc.occurred_at,
    row_number() OVER (
        PARTITION BY c.conversion_id
        ORDER BY tc.occurred_at, tc.batch_id, tc.row_number, tc.is_lead_creation
    ) AS pos
FROM run_conversions AS c
JOIN touch_channels AS tc ON tc.lead_id = c.lead_id
JOIN run_channels AS rc ON rc.channel = tc.channel
WHERE tc.occurred_at < c.converted_at
  AND tc.occurred_at >= c.converted_at - $lookback
ORDER BY c.conversion_id, pos
