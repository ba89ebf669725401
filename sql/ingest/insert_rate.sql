-- Adds one accepted currency. Params: $currency, $rate.
INSERT INTO ingest_rates VALUES ($currency, $rate)
