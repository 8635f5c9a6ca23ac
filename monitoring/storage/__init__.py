"""Repository ports and their adapters (memory, sqlite, DynamoDB)."""
