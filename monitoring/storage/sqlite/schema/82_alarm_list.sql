-- The alarm list's order (monitoring/alarms/listing.py list_key: deadlines first) and its severity filter, as
-- columns with indexes, so a page reads only its rows. Rows written before this file get their key from the
-- repository on first use (the key is computed from the document, which SQL cannot do).
ALTER TABLE alarms ADD COLUMN list_key TEXT;
ALTER TABLE alarms ADD COLUMN severity TEXT;
CREATE INDEX IF NOT EXISTS alarms_by_list ON alarms (list_key, id);
CREATE INDEX IF NOT EXISTS alarms_by_enterprise_list ON alarms (enterprise_id, list_key, id);
