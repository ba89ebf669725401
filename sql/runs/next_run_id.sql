-- Takes the id of a run about to be stored, so that its rows can be written before its
-- attribution_runs row (insert_run.sql, once the run is computed). Grain: one row. Params: none.
SELECT nextval('attribution_runs_id_seq')
