-- Keeps a period's figures of a run before its per-conversion rows go: the rows of a metrics
-- query (the text of e.g. metrics/channel_period.sql, filled in) stored into its kept table
-- (filled in) with the run and the period. A command. Params: $run_id, $from, $to (TIMESTAMP, UTC), and the
-- query's own.
INSERT INTO {table} BY NAME
SELECT $run_id AS run_id, $from AS period_start, $to AS period_end, figures.*
FROM ({query}
) AS figures
