-- Data quality of one period [$from, $to) of a run, each figure counting the period's own rows:
-- leads created (not junk), of unknown origin (no source and no UTM values: their creation is
-- no touch), with no lead source, on the Unassigned channel; junk leads; the touches of the
-- period's converting journeys, on Unassigned and with no lead source; the period's conversions
-- under $model whose credit has no lead source; conversions of the period with no touch in
-- their window; rows rejected by ingest whose own date falls in the period or whose batch was
-- loaded after $since (when the previous report was built; NULL: by date only), and of those
-- the revenue rows of unknown leads; lead sources created by ingest for the period's leads or
-- after $since; and the run's own counts of touches its windows left out (whole run). For a
-- pruned run, the journeys' touches and conversions without touches as kept when it was pruned.
-- Grain: one row. Reads run_lead_days, run_conversion_ids, journey_channels, source_credits,
-- leads, revenue_events, rejected_rows, ingest_batches, lead_sources, attribution_runs,
-- kept_quality_periods.
-- Params: $run_id, $from, $to (TIMESTAMP, UTC), $model (VARCHAR), $since (TIMESTAMP or NULL).
WITH period_leads AS (
    SELECT
        sum(leads) AS leads,
        sum(CASE WHEN source_id IS NULL THEN leads ELSE 0 END) AS leads_without_source,
        sum(CASE WHEN channel = 'Unassigned' THEN leads ELSE 0 END) AS leads_unassigned
    FROM run_lead_days
    WHERE run_id = $run_id AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE)
),
journey_touches AS (
    SELECT sum(touches) AS touches, sum(unassigned) AS unassigned,
           sum(without_source) AS without_source
    FROM (
        SELECT
            j.touches,
            CASE WHEN j.channel = 'Unassigned' THEN j.touches ELSE 0 END AS unassigned,
            j.touches_without_source AS without_source
        FROM journey_channels AS j
        JOIN run_conversion_ids AS c
          ON c.run_id = j.run_id AND c.conversion_no = j.conversion_no
        WHERE j.run_id = $run_id AND c.converted_at >= $from AND c.converted_at < $to
        UNION ALL
        SELECT journey_touches, journey_touches_unassigned, journey_touches_without_source
        FROM kept_quality_periods
        WHERE run_id = $run_id AND period_start = $from AND period_end = $to
    ) AS touched
),
rejected AS (
    SELECT
        b.kind,
        rr.reason,
        TRY_CAST(coalesce(
            json_extract_string(rr.raw_row, '$.created_at'),
            json_extract_string(rr.raw_row, '$.occurred_at'),
            json_extract_string(rr.raw_row, '$.date')
        ) AS TIMESTAMP) AS dated,
        b.started_at AS loaded_at
    FROM rejected_rows AS rr
    JOIN ingest_batches AS b ON b.batch_id = rr.batch_id
),
period_rejected AS (
    SELECT *
    FROM rejected
    WHERE (dated >= $from AND dated < $to)
       OR loaded_at > $since
),
run AS (
    SELECT * FROM attribution_runs WHERE run_id = $run_id
)
SELECT
    coalesce(pl.leads, 0) AS leads,
    (SELECT count(*) FROM leads AS l
     WHERE NOT l.junk AND l.created_at >= $from AND l.created_at < $to
       AND l.source_id IS NULL
       AND NULLIF(trim(l.utm_source), '') IS NULL AND NULLIF(trim(l.utm_medium), '') IS NULL
       AND NULLIF(trim(l.utm_campaign), '') IS NULL) AS leads_unknown_origin,
    coalesce(pl.leads_without_source, 0) AS leads_without_source,
    coalesce(pl.leads_unassigned, 0) AS leads_unassigned,
    (SELECT count(*) FROM leads AS l
     WHERE l.junk AND l.created_at >= $from AND l.created_at < $to) AS junk_leads,
    coalesce(jt.touches, 0) AS journey_touches,
    coalesce(jt.unassigned, 0) AS journey_touches_unassigned,
    coalesce(jt.without_source, 0) AS journey_touches_without_source,
    (SELECT coalesce(sum(sc.conversions), 0.0) FROM source_credits AS sc
     WHERE sc.run_id = $run_id AND sc.model = $model AND sc.source_id IS NULL
       AND sc.day >= CAST($from AS DATE) AND sc.day < CAST($to AS DATE))
        AS credit_without_source,
    CASE WHEN r.pruned_at IS NULL THEN
        (SELECT count(*) FROM revenue_events AS e
         JOIN leads AS l ON l.lead_id = e.lead_id
         WHERE NOT l.junk AND e.occurred_at >= $from AND e.occurred_at < $to
           AND list_contains(r.conversion_kinds, e.kind)
           AND e.event_id NOT IN (
               SELECT conversion_id FROM run_conversion_ids WHERE run_id = $run_id
           ))
    ELSE
        (SELECT k.conversions_without_touches FROM kept_quality_periods AS k
         WHERE k.run_id = $run_id AND k.period_start = $from AND k.period_end = $to)
    END AS conversions_without_touches,
    (SELECT count(*) FROM period_rejected) AS rejected_rows,
    (SELECT count(*) FROM period_rejected
     WHERE kind = 'revenue' AND reason LIKE '%lead_id is unknown%') AS revenue_without_lead,
    (SELECT count(*) FROM lead_sources AS s
     WHERE s.auto_created AND (
         s.created_at > $since
         OR EXISTS (
             SELECT 1 FROM leads AS l
             WHERE l.source_id = s.id AND l.created_at >= $from AND l.created_at < $to
         )
     )) AS sources_auto_created,
    r.touches_too_early,
    r.touches_after_conversion
FROM period_leads AS pl, journey_touches AS jt, run AS r
