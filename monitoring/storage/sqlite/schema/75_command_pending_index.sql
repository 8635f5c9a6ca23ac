-- A listener's poll lists every pending command (`pending_all`) from this partial index, not a table scan.
CREATE INDEX command_pending ON command (created_at, command_id) WHERE status = 'pending';
