-- The accepted currencies of this connection's ingest, with their rate to the base currency.
-- Grain: one row per currency. Params: none (rows are added by insert_rate).
CREATE OR REPLACE TEMP TABLE ingest_rates (currency VARCHAR PRIMARY KEY, rate DECIMAL(18, 8) NOT NULL)
