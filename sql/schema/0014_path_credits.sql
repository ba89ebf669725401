-- Per-conversion credit stored once per distinct path. A model other than time decay gives a
-- conversion credit equal to its row (one conversion, its value) times a function of its path
-- (the sequence of channels) alone, so a run stores each such model's credit per distinct path
-- and channel (path_credits) and each conversion's path (run_conversion_ids.path_no): a few
-- thousand rows where a row per conversion and channel took millions. Time decay, which reads
-- each touch's time, keeps a row per conversion and channel (conversion_credit_rows, the
-- former table). conversion_credits is now a view over both, with the same columns and rows as
-- the table it replaces, so that queries written against it still work.

ALTER TABLE conversion_credits RENAME TO conversion_credit_rows;

ALTER TABLE run_conversion_ids ADD COLUMN path_no INTEGER;  -- NULL: stored before 0014

CREATE TABLE path_credits (
    run_id INTEGER NOT NULL,
    model VARCHAR NOT NULL,
    path_no INTEGER NOT NULL,                -- run_conversion_ids.path_no
    channel VARCHAR NOT NULL,
    conversions DOUBLE NOT NULL,             -- credit per conversion of the path (non-zero
    value DOUBLE NOT NULL                    -- conversions or value only); value: per unit of
);                                           -- the conversion's value

-- A run's non-zero credit per model, conversion and channel (as the table was).
CREATE VIEW conversion_credits AS
SELECT run_id, model, conversion_no, channel, conversions, value
FROM conversion_credit_rows
UNION ALL
SELECT c.run_id, p.model, c.conversion_no, p.channel, p.conversions, p.value * c.value
FROM run_conversion_ids AS c
JOIN path_credits AS p ON p.run_id = c.run_id AND p.path_no = c.path_no;
