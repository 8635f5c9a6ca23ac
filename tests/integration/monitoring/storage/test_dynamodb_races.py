"""On DynamoDB Local, writers that race are settled by conditional writes: exactly one of them wins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.clock import FixedClock
from monitoring.commands.models import CommandStatus
from monitoring.errors import ConflictError
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from tests.contract.storage import builders as b
from tests.support.dynamodb_tables import backend_fixture

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
RACERS = 6


backend = backend_fixture("race")


def _race(work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..RACERS-1) at once; each result is the return value or the exception raised."""
    results: list[Any] = [None] * RACERS
    gate = threading.Barrier(RACERS)

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the race outcome is what we assert on
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_racing_deliveries_of_one_reading_store_it_once(backend: DynamoDBBackend) -> None:
    store = backend.store(clock=FixedClock(NOW))
    reading = Reading("p1", NOW, ReadingKind.MINUTE, values={"p": 1.0})
    results = _race(lambda i: store.readings.put_reading(reading))
    assert sorted(results) == [False] * (RACERS - 1) + [True]


def test_racing_alarms_for_one_subject_and_rule_leave_one_open(backend: DynamoDBBackend) -> None:
    rules = backend.store(clock=FixedClock(NOW))
    episode = Episode(NOW, None, {}, {}, False, ())

    def raise_alarm(i: int) -> Alarm:
        alarm = Alarm(f"a{i}", "control_stopped", "A1/C1", "E1", "high", AlarmState.PENDING, (episode,), NOW, NOW)
        return rules.alarms.put(alarm, expected_version=None)

    results = _race(raise_alarm)
    winners = [r for r in results if isinstance(r, Alarm)]
    assert len(winners) == 1 and all(isinstance(r, ConflictError) for r in results if r not in winners)
    assert [a.id for a in rules.alarms.open_for_enterprise("E1")] == [winners[0].id]


def test_racing_transitions_of_one_command_have_one_winner(backend: DynamoDBBackend) -> None:
    store = backend.store(clock=FixedClock(NOW))
    store.commands.enqueue(b.command("c1", NOW))
    targets = [CommandStatus.SENT, CommandStatus.EXPIRED] * (RACERS // 2)
    results = _race(lambda i: store.commands.transition("c1", CommandStatus.PENDING, targets[i], at=NOW))
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and store.commands.get("c1").status is winners[0].status


def test_racing_appends_keep_one_chain(backend: DynamoDBBackend) -> None:
    store = backend.store(clock=FixedClock(NOW))
    frames = [b.raw_frame(at=NOW + timedelta(seconds=i), payload=b"F%d" % i) for i in range(RACERS)]
    results = _race(lambda i: store.archive.append(frames[i]))
    assert sorted(r.seq for r in results) == list(range(1, RACERS + 1))
    assert store.archive.verify("MN0001").ok
