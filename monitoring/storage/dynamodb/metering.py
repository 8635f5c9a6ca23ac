"""Count DynamoDB requests and consumed capacity units per operation, as the AWS bill sees them.

A `CapacityMeter` hooks botocore's `after-call` event; PynamoDB asks for `ReturnConsumedCapacity=TOTAL`, so each
response carries its units. Reads DynamoDB Local reports as free (an empty Query) get AWS's minimum (`read_floor`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Operations billed in read units; every other data-plane operation is billed in write units.
READ_OPERATIONS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "ExecuteStatement", "BatchExecuteStatement"}
)
CONTROL_OPERATIONS = frozenset(
    {
        "CreateTable",
        "DeleteTable",
        "DescribeTable",
        "ListTables",
        "UpdateTable",
        "UpdateTimeToLive",
        "DescribeTimeToLive",
    }
)


@dataclass(frozen=True, slots=True)
class OperationUsage:
    """What one kind of DynamoDB call cost so far."""

    requests: int = 0
    errors: int = 0  # requests answered with an error, e.g. ConditionalCheckFailedException
    read_units: float = 0.0
    write_units: float = 0.0

    def __add__(self, other: OperationUsage) -> OperationUsage:
        return OperationUsage(
            self.requests + other.requests,
            self.errors + other.errors,
            self.read_units + other.read_units,
            self.write_units + other.write_units,
        )


def usage_of(operation: str, parsed: Mapping[str, Any]) -> OperationUsage:
    """The usage one response reports; `ConsumedCapacity` is a dict, or a list for batches and transactions."""
    failed = "Error" in parsed
    capacity = parsed.get("ConsumedCapacity") or []
    entries = [capacity] if isinstance(capacity, Mapping) else list(capacity)
    read = write = 0.0
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        if "ReadCapacityUnits" in entry or "WriteCapacityUnits" in entry:
            read += float(entry.get("ReadCapacityUnits", 0.0))
            write += float(entry.get("WriteCapacityUnits", 0.0))
        elif operation in READ_OPERATIONS:
            read += float(entry.get("CapacityUnits", 0.0))
        else:
            write += float(entry.get("CapacityUnits", 0.0))
    return OperationUsage(requests=1, errors=int(failed), read_units=read, write_units=write)


_NONE = OperationUsage()
_FLOORED = frozenset({"Query", "Scan", "BatchGetItem"})  # where `read_floor` may add units


def read_floor(operation: str, params: Mapping[str, Any] | None, parsed: Mapping[str, Any]) -> dict[str, float]:
    """Read units AWS bills that DynamoDB Local does not report, per table: a Query or Scan that read nothing
    still costs a read ("charged ... even if no data exists", AWS's read/write operations guide), and so does
    each BatchGetItem key that is not found, as a GetItem of a missing item does (which Local does report)."""
    if not params or "Error" in parsed:
        return {}
    if operation in ("Query", "Scan"):
        capacity = parsed.get("ConsumedCapacity")
        reported = usage_of(operation, {"ConsumedCapacity": capacity}).read_units if capacity else 0.0
        if reported > 0:
            return {}
        return {str(params.get("TableName", "?")): 1.0 if params.get("ConsistentRead") else 0.5}
    if operation == "BatchGetItem":
        found = parsed.get("Responses") or {}
        unprocessed = parsed.get("UnprocessedKeys") or {}
        floor: dict[str, float] = {}
        for table, request in (params.get("RequestItems") or {}).items():
            asked = len(request.get("Keys") or [])
            left = len((unprocessed.get(table) or {}).get("Keys") or [])
            missing = asked - left - len(found.get(table) or [])
            if missing > 0:
                floor[str(table)] = missing * (1.0 if request.get("ConsistentRead") else 0.5)
        return floor
    return {}


def _table_part(operation: str, entries: list[Any], table: str, *, requests: int, errors: int) -> OperationUsage:
    mine = [e for e in entries if isinstance(e, Mapping) and str(e.get("TableName", "?")) == table]
    read = sum(usage_of(operation, {"ConsumedCapacity": e}).read_units for e in mine)
    write = sum(usage_of(operation, {"ConsumedCapacity": e}).write_units for e in mine)
    return OperationUsage(requests=requests, errors=errors, read_units=read, write_units=write)


class CapacityMeter:
    """Thread-safe tally of DynamoDB data-plane requests and units, keyed by operation name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._usage: dict[str, OperationUsage] = {}
        self._tables: dict[str, OperationUsage] = {}
        self._attached: set[int] = set()

    def attach(self, client: Any) -> None:
        """Count every call made through a botocore DynamoDB client (idempotent per client)."""
        with self._lock:
            if id(client) in self._attached:
                return
            self._attached.add(id(client))
        client.meta.events.register(
            "provide-client-params.dynamodb", self._on_params, unique_id=f"capacity-meter-params-{id(self)}"
        )
        client.meta.events.register("after-call.dynamodb", self._on_after_call, unique_id=f"capacity-meter-{id(self)}")

    def record(self, operation: str, parsed: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> None:
        """Add one response to the tally; control-plane calls (table admin) are not billed per request.
        With the request's `params`, reads DynamoDB Local reports as free get AWS's minimum (`read_floor`)."""
        if operation in CONTROL_OPERATIONS:
            return
        usage = usage_of(operation, parsed)
        capacity = parsed.get("ConsumedCapacity")
        if isinstance(capacity, Mapping) and operation not in _FLOORED:
            # One table, no floor (every single-item call): what the general path below adds, on every request
            table = str(capacity.get("TableName", "?"))
            with self._lock:
                self._usage[operation] = self._usage.get(operation, _NONE) + usage
                self._tables[table] = self._tables.get(table, _NONE) + usage
            return
        entries = [capacity] if isinstance(capacity, Mapping) else list(capacity or [])
        floor = read_floor(operation, params, parsed)
        entries += [{"TableName": table, "CapacityUnits": units} for table, units in floor.items()]
        usage = OperationUsage(usage.requests, usage.errors, usage.read_units + sum(floor.values()), usage.write_units)
        tables = sorted({str(e.get("TableName", "?")) for e in entries if isinstance(e, Mapping)}) or ["?"]
        with self._lock:
            self._usage[operation] = self._usage.get(operation, OperationUsage()) + usage
            # A request is charged to the table it names (a multi-table batch to the first, its units split).
            for i, table in enumerate(tables):
                part = _table_part(operation, entries, table, requests=int(i == 0), errors=usage.errors * int(i == 0))
                self._tables[table] = self._tables.get(table, OperationUsage()) + part

    @staticmethod
    def _on_params(*, params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["capacity_meter_params"] = params  # returning None keeps botocore's params as they are

    def _on_after_call(self, *, model: Any, parsed: Mapping[str, Any], **kwargs: Any) -> None:
        context = kwargs.get("context") or {}
        self.record(str(model.name), parsed, context.get("capacity_meter_params"))

    def by_table(self) -> dict[str, OperationUsage]:
        """Usage per physical table name ("?" where a response named none, e.g. a refused write)."""
        with self._lock:
            return dict(self._tables)

    def snapshot(self) -> dict[str, OperationUsage]:
        """A copy of the usage per operation."""
        with self._lock:
            return dict(self._usage)

    def total(self) -> OperationUsage:
        """The usage summed over every operation."""
        result = OperationUsage()
        for usage in self.snapshot().values():
            result = result + usage
        return result

    def reset(self) -> None:
        """Forget everything counted so far (e.g. after loading fixtures, before the measured run)."""
        with self._lock:
            self._usage.clear()
            self._tables.clear()
