"""The sender's minute safety net on DynamoDB Local, counted by the cost bench's meter: with nothing due a run is
one due-index query (plus one for delivery reports every 30 s) and returns within a fraction of a second."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from functions import _notify, _wiring
from functions.notify_send import handler as send_handler
from monitoring.clock import FixedClock
from monitoring.notify.ports import ChannelKind
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.ports import Store
from tests.support.notify_loopback import LoopbackChannel, LoopbackProvider
from tests.unit.monitoring.notify.world import COUNTY, T0, alarm, populate

pytestmark = pytest.mark.integration
RUNS = 20


@dataclass
class Context:
    aws_request_id: str = "req-net"
    function_name: str = "NotifySend"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws-cn:lambda:cn-north-1:123456789012:function:NotifySend"

    def get_remaining_time_in_millis(self) -> int:
        return 55_000


@pytest.fixture
def wired(dynamodb_local_url: str, fake_aws_env: None) -> Iterator[tuple[Store, DynamoDBBackend, FixedClock]]:
    clock = FixedClock(T0)
    settings = _wiring.Settings(
        store_backend="dynamodb",
        dynamodb_endpoint=dynamodb_local_url,
        dynamodb_region="cn-north-1",
        dynamodb_table_prefix=f"nd{uuid.uuid4().hex[:10]}",
        county_id=COUNTY,
    )
    _wiring.configure(settings, clock=clock)
    _notify.reset()
    store = _wiring.get_store()
    backend = getattr(store.close, "__self__", None)
    assert isinstance(backend, DynamoDBBackend)
    backend.create_tables(enable_ttl=False)
    try:
        populate(store)
        yield store, backend, clock
    finally:
        _notify.use_channels(None)
        _notify.reset()
        backend.delete_tables()
        _wiring.configure(None)
        store.close()


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
