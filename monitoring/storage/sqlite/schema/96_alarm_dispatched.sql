-- Alarms by the branch they were dispatched to (a case sent to another branch is in that branch's list).
CREATE INDEX IF NOT EXISTS alarms_dispatched ON alarms (json_extract(doc, '$.dispatched_to'))
    WHERE json_extract(doc, '$.dispatched_to') IS NOT NULL;
