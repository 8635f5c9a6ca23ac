-- The per-MN hash chain over delivered archive objects (AWS: Firehose → S3; kept on every adapter): one segment
-- per MN per object, keyed by its first seq; `body` holds the object key, prev/end hash and the links (JSON).
CREATE TABLE IF NOT EXISTS chain_segment (
    mn TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (mn, first_seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS delivered_object (
    key TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    records INTEGER NOT NULL,
    mns INTEGER NOT NULL
) WITHOUT ROWID;
