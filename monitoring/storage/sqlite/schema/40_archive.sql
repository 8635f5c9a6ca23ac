-- Raw frames on per-MN hash chains. Append-only: the triggers refuse UPDATE and DELETE, and the hash chain
-- exposes any change made behind the triggers' back.
CREATE TABLE archive_frame (
    mn TEXT NOT NULL,
    seq INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    raw BLOB NOT NULL,
    meta TEXT NOT NULL,
    PRIMARY KEY (mn, seq)
) WITHOUT ROWID;

CREATE INDEX archive_frame_by_time ON archive_frame (mn, received_at);

CREATE TRIGGER archive_frame_no_update BEFORE UPDATE ON archive_frame
BEGIN
    SELECT RAISE(ABORT, 'archive_frame is append-only');
END;

CREATE TRIGGER archive_frame_no_delete BEFORE DELETE ON archive_frame
BEGIN
    SELECT RAISE(ABORT, 'archive_frame is append-only');
END;
