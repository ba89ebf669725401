-- source_period.sql's figures of a pruned run, as kept when it was pruned (for the periods its
-- reports read); a source's name and channel from the registry, as in source_period.sql.
-- Grain: one row per source_key. Reads kept_source_periods, lead_sources.
-- Params: $run_id, $from, $to (TIMESTAMP, UTC).
SELECT
    k.source_key,
    k.source_id,
    CASE WHEN k.source_id IS NULL THEN k.source ELSE ls.name END AS source,
    CASE WHEN k.source_id IS NULL THEN k.channel ELSE ls.channel END AS channel,
    k.leads, k.converted_leads, k.conversions, k.revenue, k.days_to_convert_median,
    k.days_to_convert_p90, k.spend
FROM kept_source_periods AS k
LEFT JOIN lead_sources AS ls ON ls.id = k.source_id
WHERE k.run_id = $run_id AND k.period_start = $from AND k.period_end = $to
ORDER BY k.source_id IS NULL, source, k.source_id
