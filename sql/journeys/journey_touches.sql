-- The touches of every journey of a run, as a view. A converting journey: one per conversion,
-- its lead's touches (lead creation included) in the half-open window
-- [converted_at - lookback, converted_at). A non-converting journey: one per lead (not junk,
-- created before $end) with no conversion in the run, its touches in [$end - lookback, $end).
-- Touches in time order; ties by ingest order (batch, row), then the touch before the lead
-- creation. Portable SQL: the Spark engine runs this same file (see attribution/portable.py).
-- One join of the touches: every lead that is not junk meets its conversions (a converting
-- journey each) or none (its non-converting journey), then its touches, on the lead's integer
-- key (lead_no); numbering,
-- lengths, paths and time_decay's shares are windows within (lead, conversion, place), which
-- Spark computes where that join put the rows, without shuffling them again. A path and its
-- sources are lists over the journey's whole frame in touch order (a window's frame is read in
-- its order on both engines), joined: Spark's ordered string_agg (LISTAGG ... WITHIN GROUP)
-- sorts each journey again and cost more than the join.
-- Every window of the numbering has the same order and frame, so that Spark computes them in one
-- pass over the sorted rows (a window without the order is another pass); time_decay's sum is
-- the second.
-- A converting journey keeps its lead's touches outside its window too, with place -1 (too
-- early) or 1 (at or after the conversion), so that the run's window figures are counted from
-- these rows (window_stats.sql); the journey's own touches have place 0.
-- Grain: (lead, conversion, place, pos). Reads leads, run_conversions, touch_channels (with
-- each touch's channel code and lead_no).
-- Params: $end, $window_from (TIMESTAMP, UTC: $end less the lookback), $half_life_days (DOUBLE,
-- positive). A converting journey's window starts at its conversion's window_start
-- (run_conversions.sql: the conversion less the lookback) and its day is the conversion's.
-- Columns: lead_id and conversion_id (a converting journey's, run_conversions.sql's, on its
-- first touch only; NULL when not converting: strings are costly to carry per touch, and the
-- leads' ids through the one shuffle and join cost Spark about a fifth of this statement's
-- CPU), converting (1 or 0), value (0 when not converting),
-- converted_at and day (NULL when not converting), the lead's creation (lead_created_at,
-- lead_channel_code, lead_source_id: run_conversions.sql's, NULL when not converting),
-- channel_code, source_id (-1: none), occurred_at, place, pos (from 1), and what the
-- journey's touches make: n, their count; path_key, their channel codes in touch order joined
-- by '>'; source_key (first touch only), their source ids (-1: none) in touch order joined by
-- ','; decay_share,
-- the touch's time_decay share (2^(-t / $half_life_days), t its time before the journey's
-- latest touch in days: the same shares as its time before the conversion, without underflow,
-- normalised per journey).
CREATE OR REPLACE TEMP VIEW journey_touches AS
WITH journeys AS (
    SELECT
        l.lead_no,
        c.lead_id,
        c.conversion_id,
        CASE WHEN c.conversion_id IS NULL THEN 0 ELSE 1 END AS converting,
        coalesce(c.value, CAST(0 AS DOUBLE)) AS value,
        c.converted_at,
        c.day,
        c.window_start,
        c.lead_created_at,
        c.lead_channel_code,
        c.lead_source_id
    FROM leads AS l
    LEFT JOIN run_conversions AS c ON c.lead_no = l.lead_no
    WHERE NOT l.junk
      AND (c.conversion_id IS NOT NULL OR l.created_at < $end)
),
placed AS (
    SELECT
        j.lead_no, j.lead_id, j.conversion_id, j.converting, j.value, j.converted_at, j.day,
        j.lead_created_at, j.lead_channel_code, j.lead_source_id,
        tc.channel_code,
        coalesce(tc.source_id, -1) AS source_id,
        tc.occurred_at, tc.batch_id, tc.row_number, tc.is_lead_creation,
        CASE
            WHEN j.converting = 0 THEN 0
            WHEN tc.occurred_at >= j.converted_at THEN 1
            WHEN tc.occurred_at < j.window_start THEN -1
            ELSE 0
        END AS place
    FROM journeys AS j
    JOIN touch_channels AS tc ON tc.lead_no = j.lead_no
    WHERE j.converting = 1 OR (tc.occurred_at >= $window_from AND tc.occurred_at < $end)
),
numbered AS (
    SELECT
        lead_no, lead_id, conversion_id, converting, value, converted_at, day, lead_created_at,
        lead_channel_code, lead_source_id, channel_code, source_id, occurred_at, place,
        row_number() OVER (
            PARTITION BY lead_no, conversion_id, place
            ORDER BY occurred_at, batch_id, row_number, is_lead_creation
        ) AS pos,
        count(*) OVER (
            PARTITION BY lead_no, conversion_id, place
            ORDER BY occurred_at, batch_id, row_number, is_lead_creation
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS n,
        array_to_string(list(CAST(channel_code AS VARCHAR)) OVER (
            PARTITION BY lead_no, conversion_id, place
            ORDER BY occurred_at, batch_id, row_number, is_lead_creation
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ), '>') AS path_key,
        array_to_string(list(CAST(source_id AS VARCHAR)) OVER (
            PARTITION BY lead_no, conversion_id, place
            ORDER BY occurred_at, batch_id, row_number, is_lead_creation
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ), ',') AS source_key,
        power(
            2.0e0,
            -1.0e0 * (
                epoch_us(max(occurred_at) OVER (
                    PARTITION BY lead_no, conversion_id, place
                    ORDER BY occurred_at, batch_id, row_number, is_lead_creation
                    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                ))
                - epoch_us(occurred_at)
            ) / 86400000000.0e0 / $half_life_days
        ) AS decay
    FROM placed
)
SELECT
    CASE WHEN pos = 1 THEN lead_id END AS lead_id,
    converting,
    CASE WHEN pos = 1 THEN conversion_id END AS conversion_id,
    value, converted_at, day,
    lead_created_at, lead_channel_code, lead_source_id,
    channel_code, source_id, occurred_at, place, pos, n, path_key,
    CASE WHEN pos = 1 THEN source_key END AS source_key,
    1.0e0 * decay / sum(decay) OVER (PARTITION BY lead_no, conversion_id, place) AS decay_share
FROM numbered
