-- Events listed across terminals by kind (unregistered MNs seen recently, for installers).
CREATE INDEX IF NOT EXISTS event_by_kind ON event (kind, occurred_at);
