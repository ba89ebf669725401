-- days_to_convert.sql's bins of a pruned run, as kept when it was pruned (kept with the
-- report's cap; a smaller $cap folds the last bins). Grain: one row per day bin.
-- Reads kept_days_to_convert. Params: $run_id, $from, $to (TIMESTAMP, UTC), $cap (INTEGER).
SELECT least(days, $cap) AS days, sum(conversions) AS conversions
FROM kept_days_to_convert
WHERE run_id = $run_id AND period_start = $from AND period_end = $to
GROUP BY 1
ORDER BY 1
