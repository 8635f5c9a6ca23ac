-- Downlink commands; (mn, qn) is unique because replies are matched by QN.
CREATE TABLE command (
    command_id TEXT PRIMARY KEY,
    mn TEXT NOT NULL,
    qn TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (mn, qn)
);

CREATE INDEX command_by_mn ON command (mn, status, created_at);
