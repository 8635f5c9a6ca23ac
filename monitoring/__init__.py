"""The monitoring domain: registry, readings, rules, alarms, reports, emergency control."""
