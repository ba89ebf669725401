-- The touches of the converting journeys' leads (see journeys/journey_touches.sql), journey by
-- journey in conversion id order, each in time order (ties by ingest order, then the touch
-- before the lead creation), as integers: the conversion's rank, where the touch lies against
-- the window [converted_at - lookback, converted_at) (0: inside, -1: too early, 1: at or
-- after the conversion; the caller keeps the 0s and counts the others), the channel code, the
-- source (-1: none) and the touch's time before its conversion in microseconds.
-- Grain: one row per touch of a converting lead (touches mapped for the run).
-- Reads run_conversions (run_conversions.sql), run_touches. Params: $lookback (INTERVAL).
SELECT
    c.conversion_rank,
    CAST(CASE
        WHEN t.occurred_at >= c.converted_at THEN 1
        WHEN t.occurred_at < c.converted_at - $lookback THEN -1
        ELSE 0
    END AS TINYINT) AS place,
    t.channel_code,
    coalesce(t.source_id, -1) AS source_id,
    epoch_us(c.converted_at) - epoch_us(t.occurred_at) AS before_us
FROM run_conversions AS c
JOIN run_touches AS t ON t.lead_no = c.lead_no
ORDER BY c.conversion_rank, t.occurred_at, t.batch_id, t.row_number, t.is_lead_creation
