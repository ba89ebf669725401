-- The warehouse's first schema: registry, facts, batches and rejected rows.
-- Fact tables carry no index: idempotency is by anti-join on the natural key (fast bulk loads);
-- the small tables (sources, batches) keep their unique constraints.

CREATE SEQUENCE lead_sources_id_seq START 1;

CREATE TABLE lead_sources (
    id INTEGER PRIMARY KEY DEFAULT nextval('lead_sources_id_seq'),
    name VARCHAR NOT NULL,
    name_key VARCHAR NOT NULL UNIQUE,        -- lower(trim(name)): names are unique case-insensitively
    channel VARCHAR NOT NULL DEFAULT 'Unassigned',
    utm_source VARCHAR,
    utm_medium VARCHAR,
    utm_campaign VARCHAR,
    active BOOLEAN NOT NULL DEFAULT true,
    auto_created BOOLEAN NOT NULL DEFAULT false, -- made by ingest for an unknown name
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    updated_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

-- The CRM's seed: Google = 1, Facebook = 2.
INSERT INTO lead_sources (id, name, name_key, channel) VALUES
    (nextval('lead_sources_id_seq'), 'Google', 'google', 'Paid Search'),
    (nextval('lead_sources_id_seq'), 'Facebook', 'facebook', 'Paid Social');

CREATE SEQUENCE ingest_batches_id_seq START 1;

CREATE TABLE ingest_batches (
    batch_id INTEGER PRIMARY KEY DEFAULT nextval('ingest_batches_id_seq'),
    kind VARCHAR NOT NULL,                   -- leads, touches, revenue, spend
    file_name VARCHAR NOT NULL,
    file_format VARCHAR NOT NULL,            -- csv, parquet, jsonl, crm
    sha256 VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL DEFAULT 0,
    rows_loaded BIGINT NOT NULL DEFAULT 0,
    rows_updated BIGINT NOT NULL DEFAULT 0,  -- leads whose status or conversion changed; spend replaced
    rows_duplicate BIGINT NOT NULL DEFAULT 0,
    rows_rejected BIGINT NOT NULL DEFAULT 0,
    sources_created BIGINT NOT NULL DEFAULT 0,
    extra_columns VARCHAR[],                 -- columns of the file the kind does not use
    column_map VARCHAR,                      -- the renames applied, as JSON
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL                  -- loading, loaded
);

CREATE TABLE rejected_rows (
    batch_id INTEGER NOT NULL,
    row_number BIGINT NOT NULL,              -- 1 = the first data row of the file
    reason VARCHAR NOT NULL,
    raw_row VARCHAR NOT NULL                 -- the row as read, JSON
);

CREATE TABLE leads (
    lead_id VARCHAR NOT NULL,                -- the CRM's id: the natural key
    created_at TIMESTAMP NOT NULL,           -- UTC
    source_id INTEGER,
    utm_source VARCHAR,
    utm_medium VARCHAR,
    utm_campaign VARCHAR,
    status VARCHAR,
    email_sha256 VARCHAR,                    -- SHA-256 of the trimmed, lower-cased address
    converted_at TIMESTAMP,
    value DECIMAL(18, 2),
    lost BOOLEAN NOT NULL DEFAULT false,
    junk BOOLEAN NOT NULL DEFAULT false,
    batch_id INTEGER NOT NULL,
    row_number BIGINT NOT NULL
);

CREATE TABLE touches (
    touch_key UHUGEINT NOT NULL,             -- md5 of touch_id, or of lead, time and what touched
    touch_id VARCHAR,                        -- the file's own id, when it has one
    lead_id VARCHAR NOT NULL,
    occurred_at TIMESTAMP NOT NULL,          -- UTC
    channel VARCHAR,
    source_id INTEGER,
    utm_source VARCHAR,
    utm_medium VARCHAR,
    utm_campaign VARCHAR,
    batch_id INTEGER NOT NULL,
    row_number BIGINT NOT NULL               -- with batch_id, the ingest order (ties in journeys)
);

CREATE TABLE revenue_events (
    event_id VARCHAR NOT NULL,               -- invoice or deal id: the natural key
    lead_id VARCHAR NOT NULL,
    occurred_at TIMESTAMP NOT NULL,          -- UTC
    amount DECIMAL(18, 2) NOT NULL,          -- in the base currency; negative only for refunds
    kind VARCHAR NOT NULL,                   -- won, invoice, refund
    currency VARCHAR NOT NULL,               -- as given
    amount_original DECIMAL(18, 2) NOT NULL, -- as given, in that currency
    batch_id INTEGER NOT NULL,
    row_number BIGINT NOT NULL
);

CREATE TABLE spend (
    spend_date DATE NOT NULL,
    source_id INTEGER,
    channel VARCHAR,
    campaign VARCHAR NOT NULL DEFAULT '',    -- '' when none: part of the natural key
    amount DECIMAL(18, 2) NOT NULL,          -- in the base currency
    currency VARCHAR NOT NULL,
    amount_original DECIMAL(18, 2) NOT NULL,
    batch_id INTEGER NOT NULL,
    row_number BIGINT NOT NULL
);
