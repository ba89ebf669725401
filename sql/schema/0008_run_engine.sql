-- Which engine computed a run: 'duckdb' (in memory, from this warehouse) or 'spark' (the
-- portable SQL on a Spark session; its results brought back here). A Spark run stores no
-- per-conversion credit (conversion_credits): only the small aggregated tables come back.

ALTER TABLE attribution_runs ADD COLUMN engine VARCHAR;  -- NULL in runs stored before: duckdb
