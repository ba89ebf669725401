-- Touches with no lead source, reported per channel ("Paid Search, source unknown"), never as
-- one anonymous source: the channel of a run's credit per lead source, and how many of each
-- converting journey's touches of a channel had no source.

ALTER TABLE source_credits ADD COLUMN channel VARCHAR;  -- the touches' channel; NULL in older runs
ALTER TABLE journey_channels ADD COLUMN touches_without_source INTEGER;  -- NULL in older runs
