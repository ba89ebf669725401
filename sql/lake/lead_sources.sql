-- The lead-source registry as the channel mapping and the spend rows read it, for the Spark
-- engine (the registry stays in the warehouse). Grain: one row per source. Params: none.
SELECT id, name, channel, utm_source, utm_medium, utm_campaign
FROM lead_sources
ORDER BY id
