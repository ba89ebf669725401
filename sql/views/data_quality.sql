-- Analyst view: the quality of each ingest batch (one file each): what was read, loaded,
-- updated, skipped as duplicate and rejected, and why rows were rejected.
-- Grain: one row per batch (ingest_batches.batch_id). Reads ingest_batches, rejected_rows.
-- Params: none. A rejected row with several reasons counts once under each of them.
-- Columns:
--   batch_id           INTEGER    the batch
--   kind               VARCHAR    leads, touches, revenue or spend
--   file_name          VARCHAR    the file as named when loaded
--   file_format        VARCHAR    csv, parquet, jsonl or crm
--   status             VARCHAR    loading (not finished) or loaded
--   started_at         TIMESTAMP  when the load started (UTC)
--   finished_at        TIMESTAMP  when it finished (UTC); NULL while loading
--   rows_read          BIGINT     data rows in the file
--   rows_loaded        BIGINT     new rows stored
--   rows_updated       BIGINT     leads whose status or conversion changed; spend replaced
--   rows_duplicate     BIGINT     rows whose key was already stored, skipped
--   rows_rejected      BIGINT     rows refused (see rejected_rows)
--   rejected_share     DOUBLE     rows_rejected / rows_read; NULL when no row was read
--   sources_created    BIGINT     lead sources created for unknown names (channel Unassigned)
--   unknown_lead_rows  BIGINT     rows rejected because their lead_id is not loaded
--   reasons            BIGINT     distinct rejection reasons
--   top_reason         VARCHAR    the commonest rejection reason (ties: alphabetical); NULL
--                                 when nothing was rejected
--   top_reason_rows    BIGINT     rows rejected for it
--   extra_columns      VARCHAR[]  columns of the file that the kind does not use
CREATE VIEW data_quality AS
WITH reasons AS (
    SELECT batch_id, unnest(string_split(reason, '; ')) AS reason
    FROM rejected_rows
),
counted AS (
    SELECT
        batch_id,
        reason,
        count(*) AS n,
        row_number() OVER (PARTITION BY batch_id ORDER BY count(*) DESC, reason) AS rank
    FROM reasons
    GROUP BY batch_id, reason
),
per_batch AS (
    SELECT
        batch_id,
        sum(CASE WHEN reason LIKE 'lead_id is unknown%' THEN n ELSE 0 END) AS unknown_lead_rows,
        count(*) AS reasons
    FROM counted
    GROUP BY batch_id
)
SELECT
    b.batch_id,
    b.kind,
    b.file_name,
    b.file_format,
    b.status,
    b.started_at,
    b.finished_at,
    b.rows_read,
    b.rows_loaded,
    b.rows_updated,
    b.rows_duplicate,
    b.rows_rejected,
    b.rows_rejected * 1.0e0 / NULLIF(b.rows_read, 0) AS rejected_share,
    b.sources_created,
    CAST(coalesce(p.unknown_lead_rows, 0) AS BIGINT) AS unknown_lead_rows,
    coalesce(p.reasons, 0) AS reasons,
    t.reason AS top_reason,
    t.n AS top_reason_rows,
    b.extra_columns
FROM ingest_batches AS b
LEFT JOIN counted AS t ON t.batch_id = b.batch_id AND t.rank = 1
LEFT JOIN per_batch AS p ON p.batch_id = b.batch_id
