-- The shape of a run's journeys, for the model guidance of the report's method note
-- (reporting/guidance.py): touches per converting journey, the share of converting journeys
-- with more than one touch, the share of the run's journeys that converted, and how many
-- channels the converting journeys touched. Grain: one row (NULLs for a run with no
-- conversions). Params: $run_id.
SELECT
    (SELECT avg(touches) FROM run_conversion_ids WHERE run_id = $run_id) AS touches_per_journey,
    (SELECT avg(CASE WHEN touches > 1 THEN 1.0 ELSE 0.0 END)
     FROM run_conversion_ids WHERE run_id = $run_id) AS multi_touch_share,
    (SELECT CAST(conversions AS DOUBLE) / NULLIF(conversions + non_converting, 0)
     FROM attribution_runs WHERE run_id = $run_id) AS conversion_rate,
    (SELECT count(DISTINCT channel) FROM journey_channels WHERE run_id = $run_id) AS channels
