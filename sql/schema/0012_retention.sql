-- Retention: a run's per-conversion rows (run_conversion_ids, journey_channels,
-- conversion_credits) may be pruned once newer runs replace it (retention.full_runs). Its
-- per-channel, per-source and per-day aggregates stay; so do the figures of the periods its
-- reports showed that those aggregates cannot give (distinct converted leads, medians, journey
-- counts), kept here at the period's grain when the run is pruned.

ALTER TABLE attribution_runs ADD COLUMN pruned_at TIMESTAMP;  -- UTC; NULL: every row is kept

-- The periods whose figures a report read from a run (its period and the previous one).
CREATE TABLE run_report_periods (
    run_id INTEGER NOT NULL,
    period_start TIMESTAMP NOT NULL,         -- [period_start, period_end), UTC
    period_end TIMESTAMP NOT NULL
);

-- A pruned run's figures per channel for one of those periods (metrics/channel_period.sql).
CREATE TABLE kept_channel_periods (
    run_id INTEGER NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    channel VARCHAR NOT NULL,
    leads BIGINT NOT NULL,
    converted_leads BIGINT NOT NULL,
    conversions BIGINT NOT NULL,
    revenue DOUBLE NOT NULL,
    days_to_convert_median DOUBLE,
    days_to_convert_p90 DOUBLE,
    journeys BIGINT NOT NULL,
    touches_per_journey DOUBLE,
    participation DOUBLE,
    spend DOUBLE
);

-- A pruned run's figures per lead source for one of those periods (metrics/source_period.sql).
CREATE TABLE kept_source_periods (
    run_id INTEGER NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    source_key VARCHAR NOT NULL,
    source_id INTEGER,
    source VARCHAR,                          -- as named when pruned; the registry's name wins
    channel VARCHAR,
    leads BIGINT NOT NULL,
    converted_leads BIGINT NOT NULL,
    conversions BIGINT NOT NULL,
    revenue DOUBLE NOT NULL,
    days_to_convert_median DOUBLE,
    days_to_convert_p90 DOUBLE,
    spend DOUBLE
);

-- A pruned run's conversions by whole days from lead to conversion, for one of those periods.
CREATE TABLE kept_days_to_convert (
    run_id INTEGER NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    days INTEGER NOT NULL,                   -- the last bin holds that many days and more
    conversions BIGINT NOT NULL
);

-- A pruned run's data-quality figures that read its per-conversion rows, for those periods.
CREATE TABLE kept_quality_periods (
    run_id INTEGER NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    journey_touches BIGINT NOT NULL,
    journey_touches_unassigned BIGINT NOT NULL,
    journey_touches_without_source BIGINT NOT NULL,
    conversions_without_touches BIGINT NOT NULL  -- as counted when the run was pruned
);
