-- Whether this connection holds a channel_rules table (load_rules.sql has run on it).
-- Grain: one row. Params: none.
SELECT count(*) > 0 AS loaded
FROM information_schema.tables
WHERE table_name = 'channel_rules' AND table_type = 'LOCAL TEMPORARY'
