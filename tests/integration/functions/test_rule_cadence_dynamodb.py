"""The shard worker on DynamoDB Local, through its wiring and warm caches, ticking every minute or every 5 minutes
(RULES_EVERY_MINUTES): the same alarms, with late events and backfill between ticks, and every tick after the
first served from the container's own windows (its previous tick is the cadence's, not a minute before)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from functions import _wiring
from functions.on_rule_shard import evaluate_shard
from monitoring.clock import FixedClock
from monitoring.events.models import Event, EventKind
from monitoring.readings.models import Reading, ReadingKind
from monitoring.rules.shards import Shard, scheduled_minute
from monitoring.rules.store_inputs import note_late_readings
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.integration.functions.test_rule_fan_out import T0, TICK, _enterprise
from tests.support.wired_dynamodb import wired_dynamodb

pytestmark = pytest.mark.integration
IDS = ("e1", "e2")
LAST = 150  # ticks from TICK (minute 120 after T0) to minute LAST
GAP = range(128, 142)  # e2's fan readings of these minutes arrive at minute 147 (stored and forwarded): stopped
# Events stored at a minute (between ticks), by what the terminals and the listener report
EVENTS = {
    126: [Event("e2MN2", EventKind.PARAM_CHANGE, T0 + timedelta(minutes=125), detail={"param": "CT变比"})],
    138: [Event("e1MN1", EventKind.POWER_LOSS, T0 + timedelta(minutes=132))],  # reported late
    141: [Event("e1MN1", EventKind.POWER_RESTORE, T0 + timedelta(minutes=136))],
}


@contextmanager
def _wired(url: str, every: int) -> Iterator[tuple[Store, FixedClock]]:
    """The handlers' own wiring on fresh tables: e1's fan stopped since T0; e2's restarts at TICK."""
    clock = FixedClock(TICK)
    with wired_dynamodb(url, "rc", clock, rules_every_minutes=every) as (store, _):
        b.seed_jurisdictions(store.registry)
        for eid in IDS:
            _enterprise(store, eid)
        yield store, clock


def _minute(i: int) -> datetime:
    return T0 + timedelta(minutes=i)


def _decode(store: Store, clock: FixedClock, i: int) -> None:
    """What decode stores during minute i: the readings of minute i − 1, the backfill, the events."""
    clock.set(_minute(i) + timedelta(seconds=20))
    now, at = clock.now(), _minute(i - 1)
    rows = [Reading(f"{eid}-p", at, ReadingKind.MINUTE, {"p": 60.0}, received_at=now) for eid in IDS]
    rows.append(Reading("e1-c", at, ReadingKind.MINUTE, {"p": 0.0}, received_at=now))
    if i - 1 not in GAP:
        rows.append(Reading("e2-c", at, ReadingKind.MINUTE, {"p": 20.0}, received_at=now))
    store.readings.put_readings(rows)
    if i == 147:
        late = [Reading("e2-c", _minute(m), ReadingKind.MINUTE, {"p": 0.0}, received_at=clock.now()) for m in GAP]
        store.readings.put_readings(late)
        note_late_readings(store.rule_state, late, clock.now())
    store.events.put_events(EVENTS.get(i, []))


def _run(url: str, every: int) -> tuple[set[tuple[Any, ...]], dict[str, int], int]:
    """Decode every minute; at each scheduled minute of the cadence, evaluate the shard as the worker does.
    Returns the alarms, where the container's windows came from, and the ticks evaluated."""
    ticks = 0
    with _wired(url, every) as (store, clock):
        for i in range(120, LAST + 1):
            if i > 120:
                _decode(store, clock, i)
            # EventBridge's invocation, a few seconds late: the scheduler floors it to the cadence's tick
            tick = scheduled_minute((_minute(i) + timedelta(seconds=3)).isoformat(), clock.now(), every)
            if tick != _minute(i):
                continue
            clock.set(tick + timedelta(seconds=40))
            summary = evaluate_shard(Shard("rugao", 0, 1, tick, IDS))
            assert summary["enterprises"] == 2 and summary["failed"] == 0
            ticks += 1
        alarms = {
            (a.id, a.rule, a.subject, a.state.value, tuple((e.start, e.end, e.retracted) for e in a.episodes))
            for a in store.alarms.list(limit=1000)
        }
        warm = _wiring.warm_shards_for("rugao")
        assert warm is not None
        return alarms, dict(warm.sources), ticks


def test_ticks_every_five_minutes_raise_what_ticks_every_minute_raise_from_warm_windows(
    dynamodb_local_url: str, fake_aws_env: None
) -> None:
    every_minute, _, n1 = _run(dynamodb_local_url, 1)
    every_five, sources, n5 = _run(dynamodb_local_url, 5)
    assert (n1, n5) == (31, 7)
    # The families staged: a stopped fan, its backfilled stop on data time, a late power loss, a parameter change
    rules = {(rule, subject) for _, rule, subject, *_ in every_minute}
    assert {("control_stopped", "e1-a/e1-c"), ("control_stopped", "e2-a/e2-c"), ("power_loss", "terminal:e1MN1"),
            ("tamper_param_change", "terminal:e2MN2")} <= rules  # fmt: skip
    (backfilled,) = [eps for _, rule, subject, _, eps in every_minute if subject == "e2-a/e2-c"]
    assert [start for start, _, retracted in backfilled if not retracted][-1] == _minute(GAP[0])
    assert every_five == every_minute
    # One container: after its first tick every point's window is its own, as of the shard's previous tick
    assert sources == {"cold": 4, "warm": 4 * (n5 - 1)}
