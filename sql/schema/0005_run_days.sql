-- Runs by day: each conversion's lead, time, value and journey length; each model's credit per
-- channel and per lead source by day of conversion; the channels each converting journey
-- touched; and the leads and spend of the run's window by day. The report's figures for any
-- period inside a run's window are sums and quantiles over these (sql/metrics/).

ALTER TABLE source_credits ADD COLUMN day DATE;  -- day of conversion (UTC); NULL in older runs

ALTER TABLE run_conversion_ids ADD COLUMN lead_id VARCHAR;
ALTER TABLE run_conversion_ids ADD COLUMN converted_at TIMESTAMP;   -- UTC
ALTER TABLE run_conversion_ids ADD COLUMN value DOUBLE;
ALTER TABLE run_conversion_ids ADD COLUMN touches INTEGER;          -- the journey's length
ALTER TABLE run_conversion_ids ADD COLUMN lead_created_at TIMESTAMP;
ALTER TABLE run_conversion_ids ADD COLUMN lead_channel VARCHAR;     -- channel of the lead's creation
ALTER TABLE run_conversion_ids ADD COLUMN lead_source_id INTEGER;

CREATE TABLE channel_day_credits (
    run_id INTEGER NOT NULL,
    model VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    day DATE NOT NULL,                       -- day of conversion, UTC
    conversions DOUBLE NOT NULL,
    value DOUBLE NOT NULL
);

CREATE TABLE journey_channels (
    run_id INTEGER NOT NULL,
    conversion_no INTEGER NOT NULL,          -- see run_conversion_ids
    channel VARCHAR NOT NULL,
    touches INTEGER NOT NULL                 -- the journey's touches of this channel
);

CREATE TABLE run_lead_days (
    run_id INTEGER NOT NULL,
    day DATE NOT NULL,                       -- day the leads were created, UTC
    channel VARCHAR NOT NULL,                -- channel of the lead's creation
    source_id INTEGER,                       -- NULL: no lead source
    leads BIGINT NOT NULL                    -- leads created that are not junk
);

CREATE TABLE run_spend_days (
    run_id INTEGER NOT NULL,
    day DATE NOT NULL,
    channel VARCHAR NOT NULL,                -- the row's channel, else its source's, else Unassigned
    source_id INTEGER,                       -- NULL: spend given by channel only
    spend DOUBLE NOT NULL
);
