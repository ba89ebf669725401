-- The ledger row of one email. Grain: zero or one row. Params: $key.
SELECT message_key, job, subject, recipients, status, attempts, server_answer,
    first_attempt_at, last_attempt_at, sent_at
FROM mail_log
WHERE message_key = $key
