"""Record the DynamoDB requests a component really makes and check them against infra/data_grants.py's key grants
the way IAM would: per action (a transaction's items are authorised as their own actions), table or index, and
every partition key of the request (`dynamodb:LeadingKeys`).
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient

from infra.data_grants import KeyGrant, allows
from monitoring.storage.dynamodb import schema

Request = tuple[str, dict[str, Any]]  # (operation, parameters) as botocore sends them
_PARTITION_KEYS = {schema.GSI1: schema.GSI1_PK, schema.GSI2: schema.GSI2_PK, schema.GSI3: schema.GSI3_PK}
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}


@contextmanager
def recording(which: Callable[[], bool]) -> Iterator[list[Request]]:
    """Every DynamoDB request made while `which()` is true on the calling thread (PynamoDB and boto3 both send
    through botocore's client), recorded and then sent as usual."""
    seen: list[Request] = []
    original = BaseClient._make_api_call
    lock = threading.Lock()

    def _record(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "dynamodb" and which():
            with lock:
                seen.append((operation, copy.deepcopy(params)))
        return original(client, operation, params)

    BaseClient._make_api_call = _record
    try:
        yield seen
    finally:
        BaseClient._make_api_call = original


def _pk(key: dict[str, Any], name: str = schema.PK) -> str:
    return str(key[name]["S"])


def _query_partition(params: dict[str, Any]) -> str:
    """The partition-key value of a Query's key condition (`#n = :v` or `pk = :v`)."""
    wanted = _PARTITION_KEYS.get(params.get("IndexName", ""), schema.PK)
    names = params.get("ExpressionAttributeNames", {})
    for name, value in re.findall(r"(#?\w+)\s*=\s*(:\w+)", params["KeyConditionExpression"]):
        if names.get(name, name) == wanted:
            return str(params["ExpressionAttributeValues"][value]["S"])
    raise AssertionError(f"no partition-key condition in {params['KeyConditionExpression']!r}")


def authorised_as(operation: str, params: dict[str, Any]) -> list[tuple[str, str, str, list[str]]]:
    """What IAM authorises for one request: (action, table, index, partition keys), physical table names."""
    if operation in ("GetItem", "DeleteItem", "UpdateItem"):
        return [(f"dynamodb:{operation}", params["TableName"], "", [_pk(params["Key"])])]
    if operation == "PutItem":
        return [("dynamodb:PutItem", params["TableName"], "", [_pk(params["Item"])])]
    if operation == "Query":
        return [("dynamodb:Query", params["TableName"], params.get("IndexName", ""), [_query_partition(params)])]
    if operation == "BatchGetItem":
        return [
            ("dynamodb:BatchGetItem", table, "", [_pk(k) for k in spec["Keys"]])
            for table, spec in params["RequestItems"].items()
        ]
    if operation == "BatchWriteItem":
        return [
            ("dynamodb:BatchWriteItem", table, "", [_pk(r["PutRequest"]["Item"] if "PutRequest" in r else
                                                        r["DeleteRequest"]["Key"]) for r in requests])
            for table, requests in params["RequestItems"].items()
        ]  # fmt: skip
    if operation in ("TransactWriteItems", "TransactGetItems"):
        out = []
        for item in params["TransactItems"]:
            ((kind, body),) = item.items()
            action = "GetItem" if kind == "Get" else _TRANSACT[kind]
            out.append((f"dynamodb:{action}", body["TableName"], "", [_pk(body.get("Key") or body["Item"])]))
        return out
    return [(f"dynamodb:{operation}", params.get("TableName", ""), "", [])]  # Scan, DescribeTable, ...: no keys


def refused(grants: Sequence[KeyGrant], table_prefix: str, requests: Sequence[Request]) -> list[str]:
    """The requests (as IAM sees them) no grant allows; table names are `<prefix>-<logical>`."""
    out = []
    for operation, params in requests:
        for action, table, index, keys in authorised_as(operation, params):
            logical = table.removeprefix(f"{table_prefix}-")
            if not allows(grants, logical, index, action, keys):
                out.append(f"{action} {logical}{'/' + index if index else ''} {sorted(set(keys))}")
    return sorted(set(out))
