-- Random inspections (双随机): inspector pools, draws and checks as versioned JSON documents.
CREATE TABLE IF NOT EXISTS random_check_doc (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    grp TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS random_check_doc_by_group ON random_check_doc (kind, grp);
