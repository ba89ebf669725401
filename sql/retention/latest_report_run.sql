-- The run of the report recorded last (the highest run id with a report period); NULL when
-- none. Grain: one row. Params: none.
SELECT max(run_id) AS run_id
FROM run_report_periods
