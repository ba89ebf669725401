-- Stores the leads created in a run's window per day, channel of their creation and lead
-- source (the creation touch's: named, or matched by a UTM rule; junk leads left out). A lead of
-- unknown origin (no creation touch) counts under Unassigned, with no source.
-- Reads touch_channels (its lead creations) and leads.
-- Grain: (day, channel, source). Params: $run_id, $start, $end (the run's window, UTC).
INSERT INTO run_lead_days
SELECT
    $run_id, CAST(l.created_at AS DATE), coalesce(tc.channel, 'Unassigned'),
    coalesce(tc.source_id, l.source_id), count(*)
FROM leads AS l
LEFT JOIN touch_channels AS tc ON tc.lead_id = l.lead_id AND tc.is_lead_creation
WHERE NOT l.junk AND l.created_at >= $start AND l.created_at < $end
GROUP BY
    CAST(l.created_at AS DATE), coalesce(tc.channel, 'Unassigned'),
    coalesce(tc.source_id, l.source_id)
