"""The capacity meter reads DynamoDB responses the way the bill counts them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from monitoring.storage.dynamodb.metering import CapacityMeter, OperationUsage, read_floor, usage_of

pytestmark = pytest.mark.unit


def test_usage_of_put_with_total_counts_write_units() -> None:
    # Given a PutItem response with TOTAL capacity
    parsed = {"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1.0}}
    # When it is read / Then it is one request and one write unit
    assert usage_of("PutItem", parsed) == OperationUsage(requests=1, write_units=1.0)


def test_usage_of_query_counts_read_units() -> None:
    parsed = {"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}}
    assert usage_of("Query", parsed) == OperationUsage(requests=1, read_units=0.5)


def test_usage_of_transaction_list_sums_every_table() -> None:
    # Given a transaction touching two tables, reported as a list
    parsed = {
        "ConsumedCapacity": [
            {"TableName": "a", "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
            {"TableName": "b", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0},
        ]
    }
    # Then the write units of both are summed
    assert usage_of("TransactWriteItems", parsed) == OperationUsage(requests=1, write_units=6.0)


def test_usage_of_failed_conditional_write_counts_an_error() -> None:
    parsed = {"Error": {"Code": "ConditionalCheckFailedException"}}
    assert usage_of("PutItem", parsed) == OperationUsage(requests=1, errors=1)


def test_meter_after_call_hook_tallies_per_operation_and_skips_table_admin() -> None:
    # Given a meter attached to a client whose event bus we capture
    handlers: list[Any] = []
    client = SimpleNamespace(
        meta=SimpleNamespace(
            events=SimpleNamespace(
                register=lambda event, handler, unique_id: handlers.append(handler) if "after-call" in event else None
            )
        )
    )
    meter = CapacityMeter()
    meter.attach(client)
    meter.attach(client)  # a second attach must not double-count
    assert len(handlers) == 1
    # When botocore reports three calls
    for name, parsed in [
        ("PutItem", {"ConsumedCapacity": {"CapacityUnits": 1.0}}),
        ("PutItem", {"ConsumedCapacity": {"CapacityUnits": 2.0}}),
        ("CreateTable", {}),
    ]:
        handlers[0](model=SimpleNamespace(name=name), parsed=parsed, http_response=None)
    # Then only the data-plane calls are counted
    assert meter.snapshot() == {"PutItem": OperationUsage(requests=2, write_units=3.0)}
    assert meter.total().write_units == 3.0
    meter.reset()
    assert meter.total() == OperationUsage()


def test_usage_is_also_kept_per_table_each_request_counted_once() -> None:
    meter = CapacityMeter()
    meter.record("PutItem", {"ConsumedCapacity": {"TableName": "gk-archive", "CapacityUnits": 2.0}})
    meter.record("PutItem", {"Error": {"Code": "ConditionalCheckFailedException"}})
    batch = [{"TableName": "gk-registry", "CapacityUnits": 1.0}, {"TableName": "gk-readings", "CapacityUnits": 0.5}]
    meter.record("BatchGetItem", {"ConsumedCapacity": batch})
    assert meter.by_table() == {
        "gk-archive": OperationUsage(requests=1, write_units=2.0),
        "?": OperationUsage(requests=1, errors=1),  # a refused write's response names no table
        "gk-readings": OperationUsage(requests=1, read_units=0.5),  # a two-table batch: one request, units split
        "gk-registry": OperationUsage(read_units=1.0),
    }
    assert sum(u.requests for u in meter.by_table().values()) == meter.total().requests == 3
    meter.reset()
    assert meter.by_table() == {}


def test_an_empty_query_costs_the_read_minimum_local_does_not_report() -> None:
    empty = {"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.0}, "Items": []}
    assert read_floor("Query", {"TableName": "t"}, empty) == {"t": 0.5}
    assert read_floor("Scan", {"TableName": "t", "ConsistentRead": True}, empty) == {"t": 1.0}
    found = {"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}, "Items": [{}]}
    assert read_floor("Query", {"TableName": "t"}, found) == {}
    assert read_floor("Query", None, empty) == {}  # no params seen: nothing guessed
    assert read_floor("GetItem", {"TableName": "t"}, empty) == {}  # Local already bills a missing GetItem


def test_batch_get_keys_not_found_cost_the_read_minimum_each() -> None:
    params = {
        "RequestItems": {
            "a": {"Keys": [{"k": 1}, {"k": 2}, {"k": 3}]},
            "b": {"Keys": [{"k": 1}], "ConsistentRead": True},
        }
    }
    parsed = {"Responses": {"a": [{}], "b": []}, "UnprocessedKeys": {"a": {"Keys": [{"k": 3}]}}}
    assert read_floor("BatchGetItem", params, parsed) == {"a": 0.5, "b": 1.0}


def test_the_meter_adds_the_floor_to_the_operation_and_its_table() -> None:
    meter = CapacityMeter()
    empty = {"ConsumedCapacity": {"TableName": "gk-state", "CapacityUnits": 0.0}, "Items": []}
    meter.record("Query", empty, {"TableName": "gk-state", "ConsistentRead": True})
    assert meter.snapshot() == {"Query": OperationUsage(requests=1, read_units=1.0)}
    assert meter.by_table() == {"gk-state": OperationUsage(requests=1, read_units=1.0)}


def test_single_table_responses_tally_as_the_general_path_does(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given single-table responses of every kind (the per-request fast path) and a refused write
    responses: list[tuple[str, dict[str, Any]]] = [
        ("PutItem", {"ConsumedCapacity": {"TableName": "gk-readings", "CapacityUnits": 2.0}}),
        ("GetItem", {"ConsumedCapacity": {"TableName": "gk-registry", "CapacityUnits": 0.5}}),
        ("UpdateItem", {"ConsumedCapacity": {"TableName": "gk-state", "WriteCapacityUnits": 1.0}}),
        ("PutItem", {"ConsumedCapacity": {"CapacityUnits": 1.0}}),  # no table named
        ("PutItem", {"Error": {"Code": "ConditionalCheckFailedException"}}),
        ("Query", {"ConsumedCapacity": {"TableName": "gk-readings", "CapacityUnits": 0.0}}),  # floored
    ]
    fast = CapacityMeter()
    for operation, parsed in responses:
        fast.record(operation, parsed, {"TableName": "gk-readings"})
    # When the same go through the general path only
    monkeypatch.setattr(
        "monitoring.storage.dynamodb.metering._FLOORED", frozenset({"PutItem", "GetItem", "UpdateItem", "Query"})
    )
    general = CapacityMeter()
    for operation, parsed in responses:
        general.record(operation, parsed, {"TableName": "gk-readings"})
    # Then both tallies agree, per operation and per table
    assert fast.snapshot() == general.snapshot() and fast.by_table() == general.by_table()
    assert fast.by_table()["gk-readings"] == OperationUsage(requests=2, read_units=0.5, write_units=2.0)
