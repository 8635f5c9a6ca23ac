-- Photo records (the bytes live in the photo blob store under the same id).
CREATE TABLE IF NOT EXISTS photo (
    photo_id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS photo_by_enterprise ON photo (enterprise_id, created_at);
