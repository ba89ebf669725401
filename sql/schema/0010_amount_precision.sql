-- Amounts and lead values keep the decimals they were given, up to 6: DECIMAL(18, 2) stored
-- 0.001 as 0.00, in amount_original too. DECIMAL(22, 6) keeps the 16 digits before the point,
-- so every value stored before fits unchanged. Reports round to the cent when they show one.

ALTER TABLE leads ALTER COLUMN value SET DATA TYPE DECIMAL(22, 6);
ALTER TABLE revenue_events ALTER COLUMN amount SET DATA TYPE DECIMAL(22, 6);
ALTER TABLE revenue_events ALTER COLUMN amount_original SET DATA TYPE DECIMAL(22, 6);
ALTER TABLE spend ALTER COLUMN amount SET DATA TYPE DECIMAL(22, 6);
ALTER TABLE spend ALTER COLUMN amount_original SET DATA TYPE DECIMAL(22, 6);
