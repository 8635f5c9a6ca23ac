"""The sender's minute safety net on DynamoDB Local, counted by the cost bench's meter: with nothing due a run is
one due-index query (plus one for delivery reports every 30 s) and returns within a fraction of a second."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import timedelta
from functools import partial

import pytest

from functions import _notify
from functions.notify_send import handler as send_handler
from monitoring.clock import FixedClock
from monitoring.notify.ports import ChannelKind
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.ports import Store
from tests.integration.functions.conftest import NotifySendContext
from tests.support.notify_loopback import LoopbackChannel, LoopbackProvider
from tests.support.wired_dynamodb import wired_dynamodb
from tests.unit.monitoring.notify.world import COUNTY, T0, alarm, populate

pytestmark = pytest.mark.integration
RUNS = 20


Context = partial(NotifySendContext, "req-net")


@pytest.fixture
def wired(dynamodb_local_url: str, fake_aws_env: None) -> Iterator[tuple[Store, DynamoDBBackend, FixedClock]]:
    clock = FixedClock(T0)
    with wired_dynamodb(dynamodb_local_url, "nd", clock, county_id=COUNTY) as (store, backend):
        _notify.reset()
        try:
            populate(store)
            yield store, backend, clock
        finally:
            _notify.use_channels(None)
            _notify.reset()


def test_the_safety_net_with_nothing_due_is_one_query_and_returns_at_once(
    wired: tuple[Store, DynamoDBBackend, FixedClock],
) -> None:
    store, backend, clock = wired
    provider = LoopbackProvider("aliyun")
    try:
        _notify.use_channels({ChannelKind.SMS: [LoopbackChannel(provider.url, "aliyun_sms")]})
        # Given an alarm's messages sent (the outbox is not empty; entries await delivery reports)
        from functions.on_alarm_change_notify import handler as decide_handler

        store.alarms.put(alarm("A1"), expected_version=None)
        decide_handler({"Records": [{"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "alarm#A1"}}}}]},
                       Context())  # fmt: skip
        clock.set(T0 + timedelta(seconds=30))
        assert send_handler({"source": "aws.events"}, Context())["sent"] >= 1
        # When the minute's safety net runs again and again with nothing due
        durations, requests = [], []
        for _ in range(RUNS):
            before = backend.meter.total().requests
            started = time.perf_counter()
            totals = send_handler({"source": "aws.events"}, Context())
            durations.append(time.perf_counter() - started)
            requests.append(backend.meter.total().requests - before)
            assert totals["sent"] == 0
    finally:
        provider.close()
    # Then each run is one query of the due index (delivery reports are asked at most every 30 s) and is quick
    assert requests.count(1) >= RUNS - 1 and max(requests) <= 2, requests
    assert statistics.median(durations) < 0.5, durations
    print(f"safety net, nothing due: median {statistics.median(durations) * 1000:.1f} ms, requests {requests}")
