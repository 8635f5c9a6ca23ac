-- Registry documents (versioned JSON bodies) and their secondary indexes; see storage/base/registry.py INDEXES.
CREATE TABLE registry_doc (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;

CREATE TABLE registry_index (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (kind, name, value, key)
) WITHOUT ROWID;

CREATE INDEX registry_index_by_key ON registry_index (kind, key);
