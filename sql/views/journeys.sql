-- Analyst view: the conversions of each attribution run, one row each, with their lead and the
-- channels their journey touched.
-- Grain: one row per (run_id, conversion_no). Reads run_conversion_ids, journey_channels,
-- lead_sources. Params: none.
-- Columns:
--   run_id           INTEGER    the attribution run
--   conversion_no    INTEGER    the conversion's number within the run (conversion_credits
--                               and journey_channels use it)
--   conversion_id    VARCHAR    the revenue event (revenue_events.event_id)
--   lead_id          VARCHAR    the converting lead (leads.lead_id)
--   lead_created_at  TIMESTAMP  when the lead was created (UTC)
--   lead_channel     VARCHAR    channel of the lead's creation
--   lead_source_id   INTEGER    the lead's source (lead_sources.id); NULL: none
--   lead_source      VARCHAR    that source's name today; NULL: none
--   converted_at     TIMESTAMP  when it converted (UTC)
--   value            DOUBLE     the conversion's value, in the base currency
--   touches          INTEGER    touches in the journey (inside the lookback window)
--   channel_count    INTEGER    distinct channels the journey touched; 0 when none
--   channels         VARCHAR    those channels in alphabetical order, joined by ', '
--                               (a set, not the order of the touches); NULL when none
--   channel_touches  VARCHAR    the same with each channel's touches, e.g. 'Email: 2, SEO: 1'
CREATE VIEW journeys AS
WITH touched AS (
    SELECT
        run_id,
        conversion_no,
        CAST(count(*) AS INTEGER) AS channel_count,
        string_agg(channel, ', ' ORDER BY channel) AS channels,
        string_agg(channel || ': ' || CAST(touches AS VARCHAR), ', ' ORDER BY channel)
            AS channel_touches
    FROM journey_channels
    GROUP BY run_id, conversion_no
)
SELECT
    c.run_id,
    c.conversion_no,
    c.conversion_id,
    c.lead_id,
    c.lead_created_at,
    c.lead_channel,
    c.lead_source_id,
    ls.name AS lead_source,
    c.converted_at,
    c.value,
    c.touches,
    coalesce(t.channel_count, 0) AS channel_count,
    t.channels,
    t.channel_touches
FROM run_conversion_ids AS c
LEFT JOIN touched AS t ON t.run_id = c.run_id AND t.conversion_no = c.conversion_no
LEFT JOIN lead_sources AS ls ON ls.id = c.lead_source_id
