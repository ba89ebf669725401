-- Makes an analyst session read and show plain timestamps in UTC, as the warehouse does.
-- A command: no rows. Params: none.
SET TimeZone = 'UTC'
