-- Weekly drill-down of runs: each conversion's time, lead and journey length; per-source credit
-- per week of conversion; and which channels each converting journey touched, how often.

-- The week (Monday, UTC) of the conversions whose credit a row sums; NULL in runs made before.
ALTER TABLE source_credits ADD COLUMN week DATE;

ALTER TABLE run_conversion_ids ADD COLUMN lead_id VARCHAR;
ALTER TABLE run_conversion_ids ADD COLUMN converted_at TIMESTAMP;  -- UTC
ALTER TABLE run_conversion_ids ADD COLUMN value DOUBLE;
ALTER TABLE run_conversion_ids ADD COLUMN touches INTEGER;          -- the journey's length

CREATE TABLE journey_channels (
    run_id INTEGER NOT NULL,
    conversion_no INTEGER NOT NULL,          -- see run_conversion_ids
    channel VARCHAR NOT NULL,
    touches INTEGER NOT NULL                 -- the journey's touches of this channel
);
