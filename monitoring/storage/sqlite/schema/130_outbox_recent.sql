-- The bureau's 通知记录 (owner: web-gaps): every message newest first by when it was decided, then key
-- (base/outbox.py recent_value; UTC isoformat text sorts as time).
CREATE INDEX IF NOT EXISTS notify_doc_recent ON notify_doc (json_extract(body, '$.created_at') || '#' || key)
    WHERE kind = 'msg';
