-- Analyst view: each attribution run's credit per model and channel, beside the run's
-- parameters, so that runs can be told apart and compared.
-- Grain: one row per (run_id, model, channel). Reads channel_credits, attribution_runs.
-- Params: none.
-- Columns:
--   run_id                      INTEGER    the attribution run
--   run_created_at              TIMESTAMP  when the run was computed (UTC)
--   window_start                TIMESTAMP  the run attributes conversions in
--   window_end                  TIMESTAMP    [window_start, window_end) (UTC)
--   lookback_days               DOUBLE     days before a conversion whose touches count
--   models                      VARCHAR[]  every model of the run
--   transforms                  VARCHAR[]  path transforms applied, in order
--   conversion_kinds            VARCHAR[]  revenue kinds that counted as conversions
--   markov_order                INTEGER    order of the Markov chain
--   half_life_days              DOUBLE     half-life of time_decay, in days
--   input_hash                  VARCHAR    SHA-256 of the journeys and options the models read:
--                                          equal hashes, equal inputs
--   run_conversions             BIGINT     conversions with a journey in the run
--   model                       VARCHAR    the attribution model
--   channel                     VARCHAR    the channel
--   attributed_conversions      DOUBLE     the model's credit to the channel
--   attributed_revenue          DOUBLE     the model's value credit to the channel
--   conversion_share            DOUBLE     attributed_conversions / the model's total in the
--                                          run; NULL when that total is 0
--   removal_effect_conversions  DOUBLE     Markov only: share of conversions lost without the
--                                          channel; NULL for other models
--   removal_effect_value        DOUBLE     Markov only: the same for value
--   run_pruned_at               TIMESTAMP  when retention pruned the run's drill-down rows
--                                          (journeys, conversion_credits); NULL: kept
CREATE VIEW attribution_credits AS
SELECT
    c.run_id,
    r.created_at AS run_created_at,
    r.window_start,
    r.window_end,
    r.lookback_days,
    r.models,
    r.transforms,
    r.conversion_kinds,
    r.markov_order,
    r.half_life_days,
    r.input_hash,
    r.conversions AS run_conversions,
    c.model,
    c.channel,
    c.conversions AS attributed_conversions,
    c.value AS attributed_revenue,
    c.conversions
        / NULLIF(sum(c.conversions) OVER (PARTITION BY c.run_id, c.model), 0) AS conversion_share,
    c.removal_effect_conversions,
    c.removal_effect_value,
    r.pruned_at AS run_pruned_at
FROM channel_credits AS c
JOIN attribution_runs AS r ON r.run_id = c.run_id
