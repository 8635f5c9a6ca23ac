"""The shard worker's terminal-event cache on DynamoDB Local: a warm tick queries only the terminals with arrival
notes, an event stored between two warm ticks is judged on the next one, and the alarms are those of a worker that
reads every terminal's events at every tick."""

from __future__ import annotations

from datetime import timedelta

import pytest

from functions import _wiring
from functions.on_rule_shard import evaluate_shard
from monitoring.clock import FixedClock
from monitoring.events.models import Event, EventKind
from monitoring.rules.shards import Shard
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.metering import OperationUsage
from monitoring.storage.ports import Store
from tests.integration.functions.stopped_fans import IDS, store_minute
from tests.integration.functions.stopped_fans import two_stopped_fans as _wired
from tests.integration.functions.test_rule_fan_out import TICK

pytestmark = pytest.mark.integration
# Events stored between ticks (stored after tick `minute`): what the terminals and the listener report
EVENTS = {
    1: [Event("e1MN2", EventKind.PARAM_CHANGE, TICK - timedelta(minutes=3), detail={"param": "CT变比"})],
    3: [Event("e2MN1", EventKind.POWER_LOSS, TICK - timedelta(minutes=20))],  # reported late, by store-and-forward
    5: [Event("e2MN1", EventKind.POWER_RESTORE, TICK - timedelta(minutes=5))],
    6: [Event("e1MN1", EventKind.DUPLICATE_MN, TICK + timedelta(minutes=1), detail={"peer": "203.0.113.9:1"})],
}


def _tick(store: Store, backend: DynamoDBBackend, clock: FixedClock, minute: int) -> OperationUsage:
    """Store the minute's readings, evaluate the shard at TICK + `minute`; the events table's usage of the tick."""
    at = store_minute(store, clock, minute)
    tables = backend.meter.by_table()
    summary = evaluate_shard(Shard("rugao", 0, 1, at, IDS))
    assert summary["enterprises"] == 2 and summary["failed"] == 0
    name = next(n for n in backend.meter.by_table() if n.endswith("-events"))
    was, now = tables.get(name, OperationUsage()), backend.meter.by_table()[name]
    return OperationUsage(now.requests - was.requests, 0, now.read_units - was.read_units, 0.0)


def _store_events(store: Store, clock: FixedClock, minute: int) -> None:
    clock.set(TICK + timedelta(minutes=minute, seconds=30))  # between tick `minute` and the next
    store.events.put_events(EVENTS.get(minute, []))


def test_a_warm_tick_queries_no_terminal_without_news_and_judges_an_event_stored_since(
    dynamodb_local_url: str, fake_aws_env: None
) -> None:
    with _wired(dynamodb_local_url) as (store, backend, clock):
        cold = _tick(store, backend, clock, 0)
        warm = _tick(store, backend, clock, 1)
        # A warm tick reads the arrival notes once instead of every terminal's events (4 terminals, per pass)
        assert cold.requests >= 4 and warm.requests == 1
        # When e1's control meter reports a parameter change between two warm ticks
        _store_events(store, clock, 1)
        noted = _tick(store, backend, clock, 2)
        # Then the next tick queries that terminal (and no other) and raises the tampering alarm
        assert 1 < noted.requests < cold.requests
        changes = [a for a in store.alarms.list() if a.rule == "tamper_param_change"]
        assert [a.enterprise_id for a in changes] == ["e1"]


def _run(url: str, *, warm: bool) -> tuple[set[tuple[str, str, str, bool, int]], int]:
    """Ticks 0..9 with EVENTS stored between them; the alarms raised and the events table's requests."""
    requests = 0
    with _wired(url) as (store, backend, clock):
        for minute in range(10):
            if not warm:
                _wiring.rule_inputs_for.cache_clear()  # a cold container at every tick: every terminal read
            requests += _tick(store, backend, clock, minute).requests
            _store_events(store, clock, minute)
        alarms = {(a.rule, a.subject, a.state.value, a.active, a.version) for a in store.alarms.list()}
    return alarms, requests


def test_the_alarms_are_those_of_a_worker_that_reads_every_terminal_at_every_tick(
    dynamodb_local_url: str, fake_aws_env: None
) -> None:
    cached, cached_requests = _run(dynamodb_local_url, warm=True)
    uncached, uncached_requests = _run(dynamodb_local_url, warm=False)
    assert cached == uncached
    assert {"tamper_param_change", "tamper_duplicate_mn", "power_loss"} <= {rule for rule, *_ in cached}
    assert cached_requests < uncached_requests
