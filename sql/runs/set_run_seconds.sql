-- Records how long a run took, once it is stored. Grain: one row. Params: $run_id, $seconds.
UPDATE attribution_runs SET seconds = $seconds WHERE run_id = $run_id
