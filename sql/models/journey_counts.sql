-- How many converting and non-converting journeys the run has.
-- Grain: one row. Reads run_journeys. Params: none.
SELECT count_if(converting = 1) AS converting, count_if(converting = 0) AS non_converting
FROM run_journeys
