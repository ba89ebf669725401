-- Marks an email as failed after its last attempt (a later send of the key tries again).
-- Grain: one row updated. Params: $key.
UPDATE mail_log SET status = 'failed' WHERE message_key = $key AND status <> 'sent'
