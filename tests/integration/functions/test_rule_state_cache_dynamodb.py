"""The shard worker's rule-state cache on DynamoDB Local, counted by the cost bench's meter: a warm tick reads
fewer state items, and a person's filing or decision between two warm ticks is judged on the next one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from functions import _wiring
from functions.on_rule_shard import evaluate_shard
from monitoring.alarms.models import AlarmState
from monitoring.clock import FixedClock
from monitoring.reports.models import FaultKind, FaultReport, StoppageKind, StoppageRequest
from monitoring.reports.service import decide_stoppage, file_fault, file_stoppage
from monitoring.rules.shards import Shard
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.metering import OperationUsage
from monitoring.storage.ports import Store
from tests.integration.functions.stopped_fans import IDS, store_minute, two_stopped_fans
from tests.integration.functions.test_rule_fan_out import T0, TICK

pytestmark = pytest.mark.integration


@pytest.fixture
def wired(dynamodb_local_url: str, fake_aws_env: None) -> Iterator[tuple[Store, DynamoDBBackend, FixedClock]]:
    """The handlers' own wiring on DynamoDB Local: two enterprises whose fans stopped at T0."""
    with two_stopped_fans(dynamodb_local_url) as world:
        yield world


def _tick(store: Store, backend: DynamoDBBackend, clock: FixedClock, minute: int) -> tuple[int, OperationUsage]:
    """One shard tick `minute` minutes after TICK, its minute's readings stored first; (GetItem count, state usage)."""
    at = store_minute(store, clock, minute)
    ops, tables = backend.meter.snapshot(), backend.meter.by_table()
    summary = evaluate_shard(Shard("rugao", 0, 1, at, IDS))
    assert summary["enterprises"] == 2 and summary["failed"] == 0
    gets = backend.meter.snapshot()["GetItem"].requests - ops.get("GetItem", OperationUsage()).requests
    state = next(name for name in backend.meter.by_table() if name.endswith("-state"))
    was = tables.get(state, OperationUsage())
    now = backend.meter.by_table()[state]
    return gets, OperationUsage(now.requests - was.requests, 0, now.read_units - was.read_units, 0.0)


def test_a_warm_tick_reads_fewer_state_items_than_a_cold_one(
    wired: tuple[Store, DynamoDBBackend, FixedClock],
) -> None:
    store, backend, clock = wired
    # Given a shard evaluated once in this container (its enterprise documents now exist)
    _tick(store, backend, clock, 0)
    # When it ticks again warm, and then once more in a fresh container (a cold start: no cache)
    warm_gets, warm = _tick(store, backend, clock, 1)
    _wiring.get_rule_state_cache.cache_clear()
    cold_gets, cold = _tick(store, backend, clock, 2)
    # Then the warm tick skipped the enterprises' three documents each (watermarks, daily figures, status),
    # apart from one that may have been due for its staggered re-read
    assert cold_gets - warm_gets >= 3 * len(IDS) - 1
    assert warm.requests < cold.requests and warm.read_units < cold.read_units


def _request_stoppage(store: Store) -> None:
    """e1 asked in advance to stop its fan for maintenance (停运报备); the branch has not decided yet."""
    request = StoppageRequest(
        "s-e1", "e1", StoppageKind.CONTROL_STOP, ("e1-c",), T0, TICK + timedelta(hours=2), "检修", T0, "u1"
    )
    file_stoppage(store.reports, request, ["e1-c", "e1-p"])


def _file_fault(store: Store, at: datetime) -> None:
    """e1's operator reports its fan broken since T0 (治理设施故障申报)."""
    fault = FaultReport("f-e1", "e1", FaultKind.CONTROL_EQUIPMENT, ("e1-c",), T0, at, "u1", "风机故障")
    file_fault(store.reports, fault, ["e1-c", "e1-p"])


def _approve_stoppage(store: Store, at: datetime) -> None:
    decide_stoppage(store.reports, "s-e1", approve=True, by="branch-user", note="同意", now=at)


@pytest.mark.parametrize("act", [_file_fault, _approve_stoppage], ids=["fault filed", "stoppage approved"])
def test_a_persons_action_between_two_warm_ticks_is_judged_on_the_next(
    wired: tuple[Store, DynamoDBBackend, FixedClock], act: Callable[[Store, datetime], None]
) -> None:
    store, backend, clock = wired
    _request_stoppage(store)  # pending: mutes nothing
    _tick(store, backend, clock, 0)
    _tick(store, backend, clock, 1)
    raised = {a.enterprise_id: a for a in store.alarms.list() if a.rule == "control_stopped"}
    assert set(raised) == set(IDS) and all(a.state == AlarmState.PENDING and a.active for a in raised.values())
    # When a person acts on e1 between two warm ticks
    act(store, TICK + timedelta(minutes=1, seconds=30))
    _tick(store, backend, clock, 2)
    # Then the very next tick ends e1's stop episode (muted from here on) and leaves e2's alarm as it was
    after = {a.enterprise_id: a for a in store.alarms.list() if a.rule == "control_stopped"}
    assert not after["e1"].active and after["e1"].version > raised["e1"].version
    assert after["e2"].active and after["e2"].version == raised["e2"].version
