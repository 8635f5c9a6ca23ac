"""Ingest side of the domain: frame records from the listener (contracts.md §2) → archive, readings, events."""
