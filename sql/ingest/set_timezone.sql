-- Reads timestamps that carry no offset in the configured zone (ingest.timezone) for this
-- session. A command: no rows. Params: none; {zone} is a quoted literal of an IANA zone
-- checked when the config loads.
SET SESSION TimeZone = {zone}
