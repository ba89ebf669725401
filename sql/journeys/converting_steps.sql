-- The touches of the converting journeys' leads (see journeys/journey_touches.sql), journey by
-- journey in conversion id order, each in time order (ties by ingest order, then the touch
-- before the lead creation), as integers: the conversion's rank, the channel code, the source
-- (-1: none) and the touch's time before its conversion in microseconds (the caller keeps the
-- touches of the window [converted_at - lookback, converted_at), those with 0 < before_us <=
-- lookback, and counts the others: integer comparisons, no date arithmetic a row).
-- Grain: one row per touch of a converting lead (touches mapped for the run).
-- Reads run_conversions (run_conversions.sql), run_touches. Params: none.
SELECT
    c.conversion_rank,
    t.channel_code,
    coalesce(t.source_id, -1) AS source_id,
    epoch_us(c.converted_at) - epoch_us(t.occurred_at) AS before_us
FROM run_conversions AS c
JOIN run_touches AS t ON t.lead_no = c.lead_no
ORDER BY c.conversion_rank, t.occurred_at, t.batch_id, t.row_number, t.is_lead_creation
