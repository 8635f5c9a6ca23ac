-- The notification outbox and per-number send times (owner: notify): versioned JSON documents by (kind, key);
-- `due` (fixed-width UTC text, NULL once final) orders the senders' work, `alarm` lists an alarm's messages,
-- `receipt` (the send time while a delivery report is awaited) orders the receipt poller's.
CREATE TABLE IF NOT EXISTS notify_doc (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    due TEXT,
    alarm TEXT,
    receipt TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS notify_doc_due ON notify_doc (due) WHERE due IS NOT NULL;
CREATE INDEX IF NOT EXISTS notify_doc_alarm ON notify_doc (alarm) WHERE alarm IS NOT NULL;
CREATE INDEX IF NOT EXISTS notify_doc_receipt ON notify_doc (receipt) WHERE receipt IS NOT NULL;
