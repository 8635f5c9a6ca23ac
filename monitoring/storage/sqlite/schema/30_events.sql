-- Terminal SOE and platform events; event_id is deterministic so redelivery is idempotent.
CREATE TABLE event (
    event_id TEXT PRIMARY KEY,
    mn TEXT NOT NULL,
    point_id TEXT,
    kind TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    expires_at INTEGER
);

CREATE INDEX event_by_mn ON event (mn, occurred_at);
CREATE INDEX event_by_point ON event (point_id, occurred_at) WHERE point_id IS NOT NULL;
