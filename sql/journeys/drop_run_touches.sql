-- Drops run_touches once the journeys are cut from it: nothing after reads it, and at
-- millions of touches it is the run's largest table. Grain: none. Params: none.
DROP TABLE IF EXISTS run_touches
