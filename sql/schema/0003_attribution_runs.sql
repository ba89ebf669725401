-- Attribution runs: their parameters and input hash, and each model's credit per channel.

CREATE SEQUENCE attribution_runs_id_seq START 1;

CREATE TABLE attribution_runs (
    run_id INTEGER PRIMARY KEY DEFAULT nextval('attribution_runs_id_seq'),
    created_at TIMESTAMP NOT NULL,
    window_start TIMESTAMP NOT NULL,         -- conversions in [window_start, window_end), UTC
    window_end TIMESTAMP NOT NULL,
    lookback_days DOUBLE NOT NULL,
    models VARCHAR[] NOT NULL,
    transforms VARCHAR[] NOT NULL,
    conversion_kinds VARCHAR[] NOT NULL,
    direct_channels VARCHAR[] NOT NULL,
    markov_order INTEGER NOT NULL,
    half_life_days DOUBLE NOT NULL,
    input_hash VARCHAR NOT NULL,             -- sha256 of the journeys the models read
    conversions BIGINT NOT NULL,             -- conversions with a journey
    conversions_without_touches BIGINT NOT NULL,
    non_converting BIGINT NOT NULL,
    touches_too_early BIGINT NOT NULL,       -- touches of converting leads before the lookback
    touches_after_conversion BIGINT NOT NULL,
    seconds DOUBLE NOT NULL
);

CREATE TABLE channel_credits (
    run_id INTEGER NOT NULL,
    model VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    conversions DOUBLE NOT NULL,
    value DOUBLE NOT NULL,
    removal_effect_conversions DOUBLE,       -- Markov only
    removal_effect_value DOUBLE
);
