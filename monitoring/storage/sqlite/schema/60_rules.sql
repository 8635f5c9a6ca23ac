-- Rules, alarms, audit, reports and emergency records (owner: rules). Records are JSON documents with the
-- columns the queries filter on pulled out and indexed.
CREATE TABLE IF NOT EXISTS alarms (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    rule TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    state TEXT NOT NULL,
    is_open INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    seq INTEGER NOT NULL,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL
);
-- At most one open alarm per (subject, rule), enforced by the store itself.
CREATE UNIQUE INDEX IF NOT EXISTS alarms_one_open ON alarms (subject, rule) WHERE is_open = 1;
CREATE INDEX IF NOT EXISTS alarms_by_key ON alarms (subject, rule, seq);
CREATE INDEX IF NOT EXISTS alarms_by_enterprise ON alarms (enterprise_id, is_open);
CREATE INDEX IF NOT EXISTS alarms_by_state ON alarms (state, created_at);
CREATE INDEX IF NOT EXISTS alarms_by_created ON alarms (created_at);

CREATE TABLE IF NOT EXISTS alarm_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alarm_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alarm_audit_by_alarm ON alarm_audit (alarm_id, seq);

CREATE TABLE IF NOT EXISTS rule_state (
    key TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS fault_reports (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fault_reports_by_enterprise ON fault_reports (enterprise_id, filed_at);

CREATE TABLE IF NOT EXISTS stoppage_requests (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS stoppage_requests_by_enterprise ON stoppage_requests (enterprise_id, filed_at);

CREATE TABLE IF NOT EXISTS emergency_alerts (
    id TEXT PRIMARY KEY,
    start_at TEXT NOT NULL,
    end_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS emergency_measures (
    enterprise_id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS halt_orders (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL,
    start_at TEXT NOT NULL,
    end_at TEXT,
    doc TEXT NOT NULL
);
