"""Photos taken on site (installation, alarm responses, verification): records, storage ports, upload checks."""
