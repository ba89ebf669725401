-- Records a computed run under the id next_run_id.sql took, in the transaction that stored its
-- rows. Grain: one row. Params: $run_id and every other column of attribution_runs.
INSERT INTO attribution_runs (
    run_id, created_at, window_start, window_end, lookback_days, models, transforms,
    conversion_kinds, direct_channels, markov_order, half_life_days, input_hash, conversions,
    conversions_without_touches, non_converting, touches_too_early, touches_after_conversion,
    seconds, engine
) VALUES (
    $run_id, $created_at, $window_start, $window_end, $lookback_days, $models, $transforms,
    $conversion_kinds, $direct_channels, $markov_order, $half_life_days, $input_hash,
    $conversions, $conversions_without_touches, $non_converting, $touches_too_early,
    $touches_after_conversion, $seconds, $engine
)
