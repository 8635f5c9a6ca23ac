"""The shard worker's copies of people-written documents on DynamoDB Local: an unchanged tick reads one change mark
instead of each enterprise's reports and the county's emergency documents; a halt order issued between two warm
ticks is judged on the next (filings and decisions: test_rule_state_cache_dynamodb.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from monitoring.clock import FixedClock
from monitoring.emergency.models import HaltOrder
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.metering import OperationUsage
from monitoring.storage.ports import Store
from tests.integration.functions.test_rule_fan_out import TICK
from tests.integration.functions.test_rule_state_cache_dynamodb import _tick, wired  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration


def _queries(backend: DynamoDBBackend, work: Callable[[], object]) -> int:
    before = backend.meter.snapshot().get("Query", OperationUsage()).requests
    work()
    return backend.meter.snapshot()["Query"].requests - before


def test_an_unchanged_tick_reads_no_report_or_emergency_document_and_a_halt_is_judged_next(
    wired: tuple[Store, DynamoDBBackend, FixedClock],  # noqa: F811
) -> None:
    store, backend, clock = wired
    cold = _queries(backend, lambda: _tick(store, backend, clock, 0))
    warm = _queries(backend, lambda: _tick(store, backend, clock, 1))
    # Faults and stoppages of two enterprises (4 Queries) and the emergency documents (3) are not read again,
    # but for an enterprise whose staggered re-read may fall due (2 Queries)
    assert cold - warm >= 4 + 3 - 2
    # When the bureau orders e1 to halt between two warm ticks (production keeps running)
    store.emergency.put_halt(HaltOrder("H1", "e1", TICK - timedelta(minutes=30), None, "停产整治"))
    _tick(store, backend, clock, 2)
    # Then the next tick judges it
    halted = [a for a in store.alarms.list() if a.rule == "halt_violation"]
    assert [a.enterprise_id for a in halted] == ["e1"]
