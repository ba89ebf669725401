-- How many rules channel_rules holds, and how many lack a priority or a channel.
-- Grain: one row. Reads channel_rules (load_rules.sql). Params: none.
SELECT
    count(*) AS rules,
    coalesce(count_if(priority IS NULL OR channel IS NULL), 0) AS incomplete
FROM channel_rules
