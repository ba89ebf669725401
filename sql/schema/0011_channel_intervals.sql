-- Bootstrap intervals stored with a run (see docs/attribution.md, "Intervals"). A run may store
-- intervals for its whole window and for periods inside it (a report's period): each is a
-- scope, [period_start, period_end) of conversions. run_intervals holds a scope's settings;
-- channel_intervals the percentile bounds per (scope, model, channel). A run stored with
-- --no-intervals has no rows in either.

CREATE TABLE run_intervals (
    run_id INTEGER NOT NULL,
    period_start TIMESTAMP NOT NULL,         -- conversions in [period_start, period_end), UTC
    period_end TIMESTAMP NOT NULL,
    level DOUBLE NOT NULL,                   -- e.g. 0.9: the 5th and 95th percentiles
    resamples INTEGER NOT NULL,
    seed BIGINT NOT NULL,
    method VARCHAR NOT NULL,                 -- multinomial or poisson
    basis VARCHAR NOT NULL,                  -- refit: every model recomputed per replicate;
                                             -- held: the run's credit per journey held fixed
    seconds DOUBLE NOT NULL
);

CREATE TABLE channel_intervals (
    run_id INTEGER NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    model VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    conversions_low DOUBLE NOT NULL,
    conversions_high DOUBLE NOT NULL,
    value_low DOUBLE NOT NULL,
    value_high DOUBLE NOT NULL,
    share_low DOUBLE NOT NULL,               -- of the replicate's conversions, 0 to 1
    share_high DOUBLE NOT NULL,
    value_share_low DOUBLE NOT NULL,
    value_share_high DOUBLE NOT NULL,
    removal_conversions_low DOUBLE,          -- Markov's removal effects; NULL for other models
    removal_conversions_high DOUBLE,
    removal_value_low DOUBLE,
    removal_value_high DOUBLE
);

-- The placebo check of a report's run: a channel with no effect inserted at a random place of
-- every journey of the window, and the credit each model gives it, with its interval (drawn as
-- the window's intervals). One row per (run_id, model).
CREATE TABLE run_placebo (
    run_id INTEGER NOT NULL,
    model VARCHAR NOT NULL,
    conversions DOUBLE NOT NULL,             -- conversions credited to the placebo channel
    conversions_low DOUBLE NOT NULL,
    conversions_high DOUBLE NOT NULL,
    share DOUBLE NOT NULL                    -- of the window's conversions, 0 to 1
);
