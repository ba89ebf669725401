-- The touches of a ChannelAttribution path file loaded as path_file (columns path,
-- total_conversions, total_conversion_value, total_null), one row per touch: spaces around
-- channels trimmed, empty tokens dropped. Grain: (path_no, pos). Params: $sep.
WITH paths AS (
    SELECT
        row_number() OVER () AS path_no,
        string_split(path, $sep) AS tokens,
        TRY_CAST(total_conversions AS DOUBLE) AS conversions,
        TRY_CAST(coalesce(total_conversion_value, '0') AS DOUBLE) AS value,
        TRY_CAST(coalesce(total_null, '0') AS DOUBLE) AS nulls,
        total_conversions AS conversions_raw
    FROM path_file
),
touches AS (
    SELECT
        path_no, conversions, value, nulls, conversions_raw,
        trim(unnest(tokens)) AS channel,
        unnest(generate_series(1, len(tokens))) AS token_no
    FROM paths
)
SELECT
    path_no,
    row_number() OVER (PARTITION BY path_no ORDER BY token_no) AS pos,
    channel, conversions, value, nulls, conversions_raw
FROM touches
WHERE channel <> ''
ORDER BY path_no, pos
