-- API tokens: only a SHA-256 of each token is stored; capabilities limit what it may do.

CREATE SEQUENCE api_tokens_id_seq START 1;

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY DEFAULT nextval('api_tokens_id_seq'),
    name VARCHAR NOT NULL UNIQUE,
    token_sha256 VARCHAR NOT NULL UNIQUE,
    prefix VARCHAR NOT NULL,                 -- the token's first characters, to recognise it
    capabilities VARCHAR NOT NULL,           -- comma-separated: get, post, put, delete
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
