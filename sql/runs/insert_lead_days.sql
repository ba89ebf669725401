-- Stores the leads created in a run's window per day, channel of their creation and lead
-- source (the creation touch's: named, or matched by a UTM rule; junk leads left out), each
-- lead's creation mapped by its key as channels/touch_rows.sql and map_touches.sql map it
-- (run_key_channels, broadcast on Spark; run_channels: the channels' names), so that the
-- touches are not read again. A lead of unknown origin (no source, no UTM value: no creation
-- touch) counts under Unassigned, with no source.
-- Grain: (day, channel, source). Params: $run_id, $start, $end (the run's window, UTC).
INSERT INTO run_lead_days
SELECT
    $run_id, CAST(l.created_at AS DATE), coalesce(rc.channel, 'Unassigned'),
    coalesce(k.mapped_source_id, l.source_id), count(*)
FROM leads AS l
LEFT JOIN run_key_channels AS k
  ON k.source_id IS NOT DISTINCT FROM l.source_id
 AND k.channel IS NULL
 AND k.utm_source IS NOT DISTINCT FROM l.utm_source
 AND k.utm_medium IS NOT DISTINCT FROM l.utm_medium
 AND k.utm_campaign IS NOT DISTINCT FROM l.utm_campaign
 AND (l.source_id IS NOT NULL OR NULLIF(trim(l.utm_source), '') IS NOT NULL
     OR NULLIF(trim(l.utm_medium), '') IS NOT NULL
     OR NULLIF(trim(l.utm_campaign), '') IS NOT NULL)
LEFT JOIN run_channels AS rc ON rc.code = k.channel_code
WHERE NOT l.junk AND l.created_at >= $start AND l.created_at < $end
GROUP BY
    CAST(l.created_at AS DATE), coalesce(rc.channel, 'Unassigned'),
    coalesce(k.mapped_source_id, l.source_id)
