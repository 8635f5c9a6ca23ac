"""The rule shard worker's DynamoDB Local world: the handlers' own wiring, two enterprises whose fans stopped at T0."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from monitoring.clock import FixedClock
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
