-- Marks an email as being sent: creates its ledger row, or reopens a failed or interrupted one
-- (attempts and first_attempt_at are kept; a sent one is never reopened). Grain: one row
-- written. Params: $key, $job, $subject, $recipients, $now.
INSERT INTO mail_log (message_key, job, subject, recipients, status, attempts, first_attempt_at)
VALUES ($key, $job, $subject, $recipients, 'sending', 0, $now)
ON CONFLICT (message_key) DO UPDATE SET
    job = excluded.job,
    subject = excluded.subject,
    recipients = excluded.recipients,
    status = 'sending'
WHERE mail_log.status <> 'sent'
