-- Analyst view: each model's non-zero credit per conversion and channel (drill-down; it adds up
-- to channel_credits, except Markov credit that lies on no journey). Models other than time
-- decay are stored once per distinct path (path_credits, per conversion and per unit of value)
-- and spread here over the run's conversions; time decay is stored per conversion
-- (conversion_credit_rows). Runs of the Spark engine have none.
-- Grain: one row per (run_id, model, conversion_no, channel). Reads conversion_credit_rows,
-- path_credits, run_conversion_ids. Params: none.
-- Columns:
--   run_id         INTEGER    the attribution run
--   model          VARCHAR    the model
--   conversion_no  INTEGER    the conversion (run_conversion_ids, journeys)
--   channel        VARCHAR    the channel
--   conversions    DOUBLE     share of the conversion credited to the channel
--   value          DOUBLE     value credited to the channel
CREATE VIEW conversion_credits AS
SELECT run_id, model, conversion_no, channel, conversions, value
FROM conversion_credit_rows
UNION ALL
SELECT c.run_id, p.model, c.conversion_no, p.channel, p.conversions, p.value * c.value
FROM run_conversion_ids AS c
JOIN path_credits AS p ON p.run_id = c.run_id AND p.path_no = c.path_no
