-- Readings keyed on (point, kind, data_time); times are integer microseconds since the Unix epoch (UTC).
CREATE TABLE reading (
    point_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    data_time INTEGER NOT NULL,
    body TEXT NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (point_id, kind, data_time)
) WITHOUT ROWID;

CREATE INDEX reading_by_expiry ON reading (expires_at) WHERE expires_at IS NOT NULL;

-- The newest reading per (point, kind); only ever replaced by a strictly newer data_time.
CREATE TABLE reading_latest (
    point_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    data_time INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (point_id, kind)
) WITHOUT ROWID;

CREATE TABLE reading_aggregate (
    point_id TEXT NOT NULL,
    period TEXT NOT NULL,
    start INTEGER NOT NULL,
    body TEXT NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (point_id, period, start)
) WITHOUT ROWID;

CREATE TABLE reading_completeness (
    point_id TEXT NOT NULL,
    day TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (point_id, day)
) WITHOUT ROWID;
