-- The connection's channel rules (channels/load_rules.sql), for the Spark engine.
-- Grain: one row per rule. Params: none.
SELECT version, priority, rule_id, channel, source_pattern, medium_pattern, campaign_pattern
FROM channel_rules
ORDER BY rule_id
