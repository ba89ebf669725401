-- The id of the source with this name (case-insensitive, trimmed). Grain: at most one row.
-- Params: $name.
SELECT id FROM lead_sources WHERE name_key = lower(trim($name))
