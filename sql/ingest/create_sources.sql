-- Creates registry entries for source names the file uses that the registry lacks (channel
-- Unassigned, marked auto_created). Grain: one new source per distinct name, first spelling wins.
-- Reads ingest_norm. Params: none. Returns the count inserted.
INSERT INTO lead_sources (name, name_key, channel, auto_created)
SELECT arg_min(source, row_number), lower(source), 'Unassigned', true
FROM ingest_norm
WHERE source IS NOT NULL
  AND length(source) <= 150
  AND lower(source) NOT IN (SELECT name_key FROM lead_sources)
GROUP BY lower(source)
