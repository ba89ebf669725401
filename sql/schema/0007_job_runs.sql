-- Scheduled jobs: every run of a job, scheduled or by hand, with its outcome and outputs.
-- (APScheduler keeps its own job store, scheduler_jobs, created by it on first start.)

CREATE SEQUENCE job_runs_id_seq START 1;

CREATE TABLE job_runs (
    run_no INTEGER PRIMARY KEY DEFAULT nextval('job_runs_id_seq'),
    job VARCHAR NOT NULL,
    scheduled_for TIMESTAMP NOT NULL,        -- UTC: the cron time this run is for (or when asked)
    trigger VARCHAR NOT NULL,                -- schedule, catch-up, manual, resumed
    started_at TIMESTAMP NOT NULL,           -- UTC
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,                 -- running, succeeded, failed, interrupted
    error VARCHAR,                           -- the failed step and its message
    outputs VARCHAR,                         -- JSON: each step's result
    pid INTEGER NOT NULL                     -- the process that ran it
);
