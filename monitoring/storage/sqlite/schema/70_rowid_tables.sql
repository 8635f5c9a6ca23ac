-- reading and archive_frame become rowid tables (their primary keys become unique indexes).
-- WITHOUT ROWID stores each ~1-2 KB body inside the primary-key B-tree, so every insert at a scattered key
-- (hundreds of points and terminals per batch) moves whole bodies around: ~130 µs per reading at 24,000 rows
-- and growing with the table. A rowid table appends the body and only the small key goes into an index
-- (~12 µs). Every column is copied as is: bodies, raw bytes and hashes are unchanged, the chain verifies.
CREATE TABLE reading_rowid (
    point_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    data_time INTEGER NOT NULL,
    body TEXT NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (point_id, kind, data_time)
);
INSERT INTO reading_rowid (point_id, kind, data_time, body, expires_at)
    SELECT point_id, kind, data_time, body, expires_at FROM reading ORDER BY data_time, point_id, kind;
DROP TABLE reading;
ALTER TABLE reading_rowid RENAME TO reading;
CREATE INDEX reading_by_expiry ON reading (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE archive_frame_rowid (
    mn TEXT NOT NULL,
    seq INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    raw BLOB NOT NULL,
    meta TEXT NOT NULL,
    PRIMARY KEY (mn, seq)
);
-- (DROP TABLE runs no DELETE trigger; the append-only triggers are recreated on the new table below.)
INSERT INTO archive_frame_rowid (mn, seq, received_at, dedupe_key, prev_hash, hash, raw, meta)
    SELECT mn, seq, received_at, dedupe_key, prev_hash, hash, raw, meta FROM archive_frame ORDER BY received_at, mn, seq;
DROP TABLE archive_frame;
ALTER TABLE archive_frame_rowid RENAME TO archive_frame;
CREATE INDEX archive_frame_by_time ON archive_frame (mn, received_at);

CREATE TRIGGER archive_frame_no_update BEFORE UPDATE ON archive_frame
BEGIN
    SELECT RAISE(ABORT, 'archive_frame is append-only');
END;

CREATE TRIGGER archive_frame_no_delete BEFORE DELETE ON archive_frame
BEGIN
    SELECT RAISE(ABORT, 'archive_frame is append-only');
END;
