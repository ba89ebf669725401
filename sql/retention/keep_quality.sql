-- Keeps a period's data-quality figures of a run that read its per-conversion rows (the
-- journeys' touches, conversions without touches), from metrics/data_quality.sql (its text filled in),
-- before those rows go. A command. Params: $run_id, $from, $to (TIMESTAMP, UTC), $model,
-- $since (NULL): the query's; the kept columns do not depend on $model or $since.
INSERT INTO kept_quality_periods BY NAME
SELECT
    $run_id AS run_id, $from AS period_start, $to AS period_end,
    q.journey_touches, q.journey_touches_unassigned, q.journey_touches_without_source,
    q.conversions_without_touches
FROM ({query}
) AS q
