"""One opener for every backend: the store a composition root asks for by name (memory, sqlite, dynamodb).

Each adapter is imported only when chosen, so a Lambda or the listener image loads boto3/PynamoDB only for DynamoDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from monitoring.clock import Clock
from monitoring.errors import InvalidInputError
from monitoring.storage.ports import Store
from monitoring.storage.retention import RetentionPolicy

Backend = Literal["memory", "sqlite", "dynamodb"]


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """Where a store lives: the backend and what that backend needs to find it."""

    backend: Backend = "sqlite"
    sqlite_path: str = "var/gongkuang.db"
    dynamodb_region: str = ""  # "" = the SDK's default (Lambda sets AWS_REGION)
    dynamodb_endpoint: str = ""  # DynamoDB Local or moto server; "" = AWS
    table_prefix: str = "gongkuang"
    retention: RetentionPolicy | None = None  # None: the default policy (RetentionPolicy())
    # DynamoDB only: readers also read the reading buckets the county host writes (docs/dynamodb.md)
    reading_buckets: bool = False


def open_store_at(where: StoreLocation, *, clock: Clock | None = None) -> Store:
    """The store at `where`, with every repository (one sqlite connection, or one set of DynamoDB tables)."""
    if where.reading_buckets and where.backend != "dynamodb":
        raise InvalidInputError(f"reading buckets are a DynamoDB layout; the {where.backend} store has none")
    if where.backend == "memory":
        from monitoring.storage.memory import memory_store

        return memory_store(retention=where.retention, clock=clock)
    if where.backend == "sqlite":
        from monitoring.storage.sqlite import open_store

        return open_store(where.sqlite_path, retention=where.retention, clock=clock)
    if where.backend == "dynamodb":
        from monitoring.storage.dynamodb.adapter import open_dynamodb_store

        return open_dynamodb_store(
            region=where.dynamodb_region or None,
            host=where.dynamodb_endpoint or None,
            table_prefix=where.table_prefix,
            retention=where.retention,
            clock=clock,
            reading_buckets=where.reading_buckets,
        )
    raise InvalidInputError(f"unknown store backend {where.backend!r} (memory, sqlite or dynamodb)")
