-- Stores the spend of a run's window per day, channel and lead source. A row's channel is its
-- own (in the default groups' spelling when it names one, ignoring case), else its source's,
-- else Unassigned. Reads spend, lead_sources, channel_rules (load_rules.sql).
-- Grain: (day, channel, source). Params: $run_id, $start, $end (the run's window, UTC).
INSERT INTO run_spend_days
WITH canonical AS (
    SELECT lower(channel) AS channel_key, min(channel) AS channel
    FROM channel_rules
    GROUP BY lower(channel)
),
named AS (
    SELECT
        s.spend_date,
        s.source_id,
        s.amount,
        coalesce(
            CASE WHEN lower(trim(s.channel)) <> 'unassigned' THEN NULLIF(trim(s.channel), '') END,
            CASE WHEN lower(trim(src.channel)) <> 'unassigned' THEN trim(src.channel) END,
            'Unassigned'
        ) AS found_channel
    FROM spend AS s
    LEFT JOIN lead_sources AS src ON src.id = s.source_id
    WHERE s.spend_date >= CAST($start AS DATE) AND s.spend_date < CAST($end AS DATE)
)
SELECT
    $run_id, n.spend_date, coalesce(g.channel, n.found_channel), n.source_id,
    sum(CAST(n.amount AS DOUBLE))
FROM named AS n
LEFT JOIN canonical AS g ON g.channel_key = lower(n.found_channel)
GROUP BY n.spend_date, coalesce(g.channel, n.found_channel), n.source_id
