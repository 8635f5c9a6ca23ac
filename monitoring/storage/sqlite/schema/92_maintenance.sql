-- The maintenance log: create-only entries (inspections, repairs, commissioning), listed per enterprise.
CREATE TABLE IF NOT EXISTS maintenance_entry (
    entry_id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS maintenance_by_enterprise ON maintenance_entry (enterprise_id, at, entry_id);
