-- Moves a sequence so that its next value is $value + 1 (DuckDB has no ALTER SEQUENCE RESTART).
-- Grain: one row (the value set). Params: $sequence (its name), $value.
SELECT setval($sequence, $value) AS value
