-- Emails: one row per message key (chosen by the caller, e.g. job:period:run), so that an email
-- the SMTP server accepted is never sent again when a job is retried or run twice.

CREATE TABLE mail_log (
    message_key VARCHAR PRIMARY KEY,
    job VARCHAR NOT NULL,                    -- '' when sent by hand
    subject VARCHAR NOT NULL,
    recipients VARCHAR NOT NULL,             -- comma-separated addresses
    status VARCHAR NOT NULL,                 -- sending, sent, failed
    attempts INTEGER NOT NULL DEFAULT 0,     -- every attempt, over every call with this key
    server_answer VARCHAR,                   -- the last answer (code and text) or connection error
    first_attempt_at TIMESTAMP NOT NULL,     -- UTC
    last_attempt_at TIMESTAMP,               -- UTC
    sent_at TIMESTAMP                        -- UTC: when the server accepted the message
);
