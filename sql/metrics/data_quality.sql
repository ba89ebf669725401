-- Data quality of one period [$from, $to) of a run: leads created (not junk) and how many have
-- no lead source or an Unassigned channel; junk leads created; touches of the period's
-- converting journeys on Unassigned; revenue rows refused because their lead is unknown and
-- all rows rejected, by ingest batches started in the period; sources created by ingest in the period;
-- and the run's own counts of touches its windows left out and conversions with no journey.
-- Grain: one row. Reads run_lead_days, run_conversion_ids, journey_channels, leads,
-- rejected_rows, ingest_batches, lead_sources, attribution_runs.
-- Params: $run_id, $from, $to (TIMESTAMP, UTC).
WITH period_leads AS (
    SELECT
        sum(leads) AS leads,
        sum(CASE WHEN source_id IS NULL THEN leads ELSE 0 END) AS leads_without_source,
        sum(CASE WHEN channel = 'Unassigned' THEN leads ELSE 0 END) AS leads_unassigned
    FROM run_lead_days
    WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
),
journey_touches AS (
    SELECT
        sum(j.touches) AS touches,
        sum(CASE WHEN j.channel = 'Unassigned' THEN j.touches ELSE 0 END) AS unassigned
    FROM journey_channels AS j
    JOIN run_conversion_ids AS c
      ON c.run_id = j.run_id AND c.conversion_no = j.conversion_no
    WHERE j.run_id = $run_id AND c.converted_at >= $from AND c.converted_at < $to
),
orphan_revenue AS (
    SELECT count(*) AS events
    FROM rejected_rows AS rr
    JOIN ingest_batches AS b ON b.batch_id = rr.batch_id
    WHERE b.kind = 'revenue' AND rr.reason LIKE '%lead_id is unknown%'
      AND b.started_at >= $from AND b.started_at < $to
)
SELECT
    coalesce(pl.leads, 0) AS leads,
    coalesce(pl.leads_without_source, 0) AS leads_without_source,
    coalesce(pl.leads_unassigned, 0) AS leads_unassigned,
    (SELECT count(*) FROM leads AS l
     WHERE l.junk AND l.created_at >= $from AND l.created_at < $to) AS junk_leads,
    coalesce(jt.touches, 0) AS journey_touches,
    coalesce(jt.unassigned, 0) AS journey_touches_unassigned,
    o.events AS revenue_without_lead,
    (SELECT count(*) FROM rejected_rows AS rr
     JOIN ingest_batches AS b ON b.batch_id = rr.batch_id
     WHERE b.started_at >= $from AND b.started_at < $to) AS rejected_rows,
    (SELECT count(*) FROM lead_sources AS s
     WHERE s.auto_created AND s.created_at >= $from AND s.created_at < $to) AS sources_auto_created,
    r.touches_too_early,
    r.touches_after_conversion,
    r.conversions_without_touches
FROM period_leads AS pl, journey_touches AS jt, orphan_revenue AS o, attribution_runs AS r
WHERE r.run_id = $run_id
