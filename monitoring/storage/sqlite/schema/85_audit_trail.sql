-- The general audit trail (owner: accounts): one row per mutating action, append-only. `at` is integer
-- microseconds (UTC); pages are read newest first by (at, record_id).
CREATE TABLE IF NOT EXISTS audit_trail (
    record_id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    enterprise_id TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_trail_by_time ON audit_trail (at, record_id);
CREATE INDEX IF NOT EXISTS audit_trail_by_actor ON audit_trail (actor_id, at);
CREATE INDEX IF NOT EXISTS audit_trail_by_object ON audit_trail (object_type, object_id, at);
CREATE INDEX IF NOT EXISTS audit_trail_by_enterprise ON audit_trail (enterprise_id, at);
