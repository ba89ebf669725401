-- Counts one attempt to send an email, with the server's answer to it; status 'sent' (the
-- server accepted it; sent_at = $now) or 'sending' (more attempts may follow). Grain: one row
-- updated. Params: $key, $answer, $status, $now.
UPDATE mail_log
SET attempts = attempts + 1,
    server_answer = $answer,
    last_attempt_at = $now,
    status = $status,
    sent_at = CASE WHEN $status = 'sent' THEN $now ELSE sent_at END
WHERE message_key = $key
