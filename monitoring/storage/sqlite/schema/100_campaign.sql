-- The installation campaign: campaigns with their deadlines, one versioned file per enterprise.
CREATE TABLE IF NOT EXISTS campaign (
    campaign_id TEXT PRIMARY KEY,
    county_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS campaign_file (
    campaign_id TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (campaign_id, enterprise_id)
);
