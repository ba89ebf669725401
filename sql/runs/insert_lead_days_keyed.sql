-- Stores the leads created in a run's window per day, channel of their creation and lead
-- source, as insert_lead_days.sql does, mapping each lead's creation by its key (the
-- in-memory engine's run_key_channels and run_channels) instead of reading touch_channels: a
-- lead that names no source and carries no UTM value has no creation touch and counts under
-- Unassigned, with no source; junk leads are left out. Grain: (day, channel, source).
-- Params: $run_id, $start, $end (the run's window, UTC).
INSERT INTO run_lead_days
SELECT
    $run_id, CAST(l.created_at AS DATE), coalesce(rc.channel, 'Unassigned'),
    coalesce(k.mapped_source_id, l.source_id), count(*)
FROM leads AS l
LEFT JOIN run_key_channels AS k
  ON hash(k.source_id, k.channel, k.utm_source, k.utm_medium, k.utm_campaign)
     = hash(l.source_id, CAST(NULL AS VARCHAR), l.utm_source, l.utm_medium, l.utm_campaign)
 AND k.source_id IS NOT DISTINCT FROM l.source_id
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
