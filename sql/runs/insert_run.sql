-- Records a run and returns its id. Grain: one row. Params: every column of attribution_runs
-- but run_id.
INSERT INTO attribution_runs (
    created_at, window_start, window_end, lookback_days, models, transforms, conversion_kinds,
    direct_channels, markov_order, half_life_days, input_hash, conversions,
    conversions_without_touches, non_converting, touches_too_early, touches_after_conversion,
    seconds, engine
) VALUES (
    $created_at, $window_start, $window_end, $lookback_days, $models, $transforms,
    $conversion_kinds, $direct_channels, $markov_order, $half_life_days, $input_hash,
    $conversions, $conversions_without_touches, $non_converting, $touches_too_early,
    $touches_after_conversion, $seconds, $engine
)
RETURNING run_id
