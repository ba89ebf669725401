-- Loads one version of the default channel rules (default_rules.csv) into the connection's
-- channel_rules: channel trimmed, patterns trimmed and lower-cased, empty = any (NULL). rule_id
-- numbers the rules in match order (priority, then the rule's text): the unique tie-breaker of
-- first-match-wins. The one statement here that reads a file; the mapping reads the table.
-- Grain: one row per rule of the version. Params: $path (the CSV), $version (INTEGER, or NULL
-- for the highest version in the file).
CREATE OR REPLACE TEMP TABLE channel_rules AS
WITH raw AS (
    SELECT
        version,
        priority,
        NULLIF(trim(channel), '') AS channel,
        NULLIF(lower(trim(source_pattern)), '') AS source_pattern,
        NULLIF(lower(trim(medium_pattern)), '') AS medium_pattern,
        NULLIF(lower(trim(campaign_pattern)), '') AS campaign_pattern,
        max(version) OVER () AS latest
    FROM read_csv(
        $path, header = true, auto_detect = false, quote = '"', encoding = 'utf-8',
        columns = {
            'version': 'INTEGER', 'priority': 'INTEGER', 'channel': 'VARCHAR',
            'source_pattern': 'VARCHAR', 'medium_pattern': 'VARCHAR',
            'campaign_pattern': 'VARCHAR'
        }
    )
)
SELECT
    version,
    priority,
    row_number() OVER (
        ORDER BY priority, channel, coalesce(source_pattern, ''), coalesce(medium_pattern, ''),
            coalesce(campaign_pattern, '')
    ) AS rule_id,
    channel,
    source_pattern,
    medium_pattern,
    campaign_pattern
FROM raw
WHERE version = coalesce($version, latest)
