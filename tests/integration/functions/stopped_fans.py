"""The rule shard worker's DynamoDB Local world: the handlers' own wiring, two enterprises whose fans stopped at T0."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from monitoring.clock import FixedClock
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.integration.functions.test_rule_fan_out import TICK, _enterprise
from tests.support.wired_dynamodb import wired_dynamodb

IDS = ("e1", "e2")


@contextmanager
def two_stopped_fans(url: str) -> Iterator[tuple[Store, DynamoDBBackend, FixedClock]]:
    """Fresh tables with enterprises IDS (production running, fans stopped since T0); the clock at TICK."""
    clock = FixedClock(TICK)
    with wired_dynamodb(url, "sf", clock) as (store, backend):
        b.seed_jurisdictions(store.registry)
        for eid in IDS:
            _enterprise(store, eid)
        yield store, backend, clock


def store_minute(store: Store, clock: FixedClock, minute: int) -> datetime:
    """The readings of the minute before tick TICK + `minute` (lines at 60 kW, fans at 0), received 40 s before the
    tick; the clock set a second past the tick, which is returned."""
    at = TICK + timedelta(minutes=minute)
    rows = [
        Reading(pid, at - timedelta(minutes=1), ReadingKind.MINUTE, {"p": p}, received_at=at - timedelta(seconds=40))
        for eid in IDS
        for pid, p in ((f"{eid}-p", 60.0), (f"{eid}-c", 0.0))
    ]
    store.readings.put_readings(rows)
    clock.set(at + timedelta(seconds=1))
    return at
