-- How many conversions the run has, and how many of their leads' touches the lookback window
-- left out (too early: place -1, or at or after the conversion: place 1), among the touches
-- mapped for the run (from the earliest lookback to the run's end): journey_touches.sql keeps
-- them beside the journeys' own. Grain: one row. Reads run_conversions, journey_steps.
-- Params: none.
SELECT
    (SELECT count(*) FROM run_conversions) AS conversions,
    count_if(place = 1) AS touches_after_conversion,
    count_if(place = -1) AS touches_too_early
FROM journey_steps
WHERE converting = 1
