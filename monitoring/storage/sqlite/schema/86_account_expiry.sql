-- When an accounts document (refresh token, invitation, SMS record) may be purged: integer microseconds, UTC.
ALTER TABLE account_doc ADD COLUMN expires_at INTEGER;
CREATE INDEX IF NOT EXISTS account_doc_by_expiry ON account_doc (expires_at) WHERE expires_at IS NOT NULL;
