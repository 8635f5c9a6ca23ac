"""DynamoDB adapter through PynamoDB: `open_store(...)` (= adapter.open_dynamodb_store) returns every repository.

Import-light on purpose: the CDK app imports `schema` from here, so this file imports nothing at module level;
`open_store` is resolved on first use (PEP 562), which is when boto3 and PynamoDB get loaded.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("open_store", "open_dynamodb_store"):
        from monitoring.storage.dynamodb.adapter import open_dynamodb_store

        return open_dynamodb_store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
