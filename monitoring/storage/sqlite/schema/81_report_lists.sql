-- Newest-first lists of fault reports and stoppage requests across a county (the API's lists), read by index.
CREATE INDEX IF NOT EXISTS fault_reports_by_filed ON fault_reports (filed_at, id);
CREATE INDEX IF NOT EXISTS stoppage_requests_by_filed ON stoppage_requests (filed_at, id);
