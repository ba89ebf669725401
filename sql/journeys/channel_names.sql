-- The run's channel names in code order. Grain: one row per channel. Params: none.
SELECT channel FROM run_channels ORDER BY code
