-- Non-converting journeys: leads (not junk, created before $end) with no conversion in the run,
-- and their touches in [$end - lookback, $end), in time order (ties as for conversions).
-- Grain: (lead_id, pos). Reads run_conversions, touch_channels, run_channels, leads.
-- Params: $end, $window_from (TIMESTAMP, UTC: $end less the lookback).
SELECT
    l.lead_id,
    rc.code AS channel_code,
    coalesce(tc.source_id, -1) AS source_id,
    row_number() OVER (
        PARTITION BY l.lead_id
        ORDER BY tc.occurred_at, tc.batch_id, tc.row_number, tc.is_lead_creation
    ) AS pos
FROM leads AS l
JOIN touch_channels AS tc ON tc.lead_id = l.lead_id
JOIN run_channels AS rc ON rc.channel = tc.channel
WHERE NOT l.junk
  AND l.created_at < $end
  AND tc.occurred_at < $end
  AND tc.occurred_at >= $window_from
  AND NOT EXISTS (SELECT 1 FROM run_conversions AS c WHERE c.lead_id = l.lead_id)
ORDER BY l.lead_id, pos
