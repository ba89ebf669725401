-- Touches keep lead_id and touch_id with ZSTD compression. DuckDB's own choice for such ids
-- (many distinct strings) is dictionary + FSST: 7 % smaller on disk, but compressing it was
-- half the cost of writing touches on ingest (3 M touches: 1.4 CPU seconds with it, 0.9 with
-- ZSTD), and ZSTD reads as fast. touch_key, an md5, never compresses: it is stored as it is,
-- without DuckDB trying every method on each segment first. The table is rebuilt, as a
-- column's compression cannot be altered; its columns and order are unchanged.

CREATE TABLE touches_rebuilt (
    touch_key UHUGEINT USING COMPRESSION uncompressed NOT NULL,  -- md5 of touch_id, or of lead,
                                             -- time and what touched
    touch_id VARCHAR USING COMPRESSION zstd, -- the file's own id, when it has one
    lead_id VARCHAR USING COMPRESSION zstd NOT NULL,
    occurred_at TIMESTAMP NOT NULL,          -- UTC
    channel VARCHAR,
    source_id INTEGER,
    utm_source VARCHAR,
    utm_medium VARCHAR,
    utm_campaign VARCHAR,
    batch_id INTEGER NOT NULL,
    row_number BIGINT NOT NULL               -- with batch_id, the ingest order (ties in journeys)
);

-- Every column in order: a column added to touches by an earlier migration fails this loudly
-- (it must then be listed above) instead of being dropped.
INSERT INTO touches_rebuilt SELECT * FROM touches;
DROP TABLE touches;
ALTER TABLE touches_rebuilt RENAME TO touches;
