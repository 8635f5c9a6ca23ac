"""Create and drop a store's tables straight from schema.py (local runs and tests; in AWS the CDK app does it).

Built from the same `schema.TABLES` the CDK app reads, through the plain DynamoDB API, so what tests run
against is what gets deployed.
"""

from __future__ import annotations

import time
from typing import Any

from monitoring.storage.dynamodb import schema


def table_name(prefix: str, logical_name: str) -> str:
    """Physical name of a logical table."""
    return schema.TABLE_NAME_FORMAT.format(prefix=prefix, table=logical_name)


def create_table_request(spec: schema.TableSpec, name: str) -> dict[str, Any]:
    """The CreateTable request for one table spec."""
    keys = [spec.partition_key, spec.sort_key]
    keys += [k for index in spec.indexes for k in (index.partition_key, index.sort_key)]
    keys += [index.sort_key for index in spec.local_indexes]
    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": schema.BILLING_MODE,
        "AttributeDefinitions": [
            {"AttributeName": k, "AttributeType": schema.KEY_TYPE_STRING} for k in dict.fromkeys(keys)
        ],
        "KeySchema": [
            {"AttributeName": spec.partition_key, "KeyType": "HASH"},
            {"AttributeName": spec.sort_key, "KeyType": "RANGE"},
        ],
    }
    if spec.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": index.projection},
            }
            for index in spec.indexes
        ]
    if spec.local_indexes:
        request["LocalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": spec.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": index.projection},
            }
            for index in spec.local_indexes
        ]
    return request


def _existing(client: Any) -> set[str]:
    names: set[str] = set()
    for page in client.get_paginator("list_tables").paginate():
        names.update(page.get("TableNames", []))
    return names


def create_tables(client: Any, prefix: str, *, enable_ttl: bool = True, timeout_s: float = 120.0) -> None:
    """Create every missing table of the store `prefix`, wait until active, then switch TTL on.

    enable_ttl=False suits suites that run on a fixed clock: DynamoDB Local's TTL sweeper uses the wall clock
    and would delete their items.
    """
    existing = _existing(client)
    created = []
    for spec in schema.TABLES:
        name = table_name(prefix, spec.logical_name)
        if name not in existing:
            client.create_table(**create_table_request(spec, name))
            created.append((spec, name))
    deadline = time.monotonic() + timeout_s
    for spec, name in created:
        while client.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
            if time.monotonic() > deadline:
                raise TimeoutError(f"table {name} did not become active")
            time.sleep(0.05)
        if enable_ttl and spec.ttl_attribute is not None:
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
            )


def delete_tables(client: Any, prefix: str) -> None:
    """Drop every table of the store `prefix` that exists."""
    existing = _existing(client)
    for spec in schema.TABLES:
        name = table_name(prefix, spec.logical_name)
        if name in existing:
            client.delete_table(TableName=name)
