-- Drill-down of attribution runs: each model's credit per lead source and per conversion.

CREATE TABLE source_credits (
    run_id INTEGER NOT NULL,
    model VARCHAR NOT NULL,
    source_id INTEGER,                       -- NULL: touches with no lead source
    conversions DOUBLE NOT NULL,
    value DOUBLE NOT NULL
);

CREATE TABLE run_conversion_ids (
    run_id INTEGER NOT NULL,
    conversion_no INTEGER NOT NULL,          -- the conversion's number within the run
    conversion_id VARCHAR NOT NULL           -- revenue_events.event_id
);

CREATE TABLE conversion_credits (
    run_id INTEGER NOT NULL,
    model VARCHAR NOT NULL,
    conversion_no INTEGER NOT NULL,          -- see run_conversion_ids
    channel VARCHAR NOT NULL,
    conversions DOUBLE NOT NULL,             -- only non-zero credit is stored
    value DOUBLE NOT NULL
);
