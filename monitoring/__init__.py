"""The domain: registry, profiles, readings, events, rules, alarms and their storage ports."""
