-- Each enterprise's service provider (运维单位, 二.4): one row per enterprise, replaced when it changes.
CREATE TABLE IF NOT EXISTS maintenance_provider (
    enterprise_id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
