"""every_fifteen_minutes_maintenance_reminders on sqlite behind `_wiring`: the scheduled time decides, a second
delivery of the same tick and a later tick the same day store nothing new."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions import _notify, _wiring
from functions.every_fifteen_minutes_maintenance_reminders import handler
from monitoring.storage.ports import Store
from tests.support.maintenance_world import build, offline_alarm

pytestmark = pytest.mark.integration
TICK = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


@pytest.fixture
def store(wired_store: Store) -> Iterator[Store]:
    _notify.reset()
    yield wired_store
    _notify.reset()


def _event(at: datetime) -> dict[str, Any]:
    return {"time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "detail-type": "Scheduled Event", "source": "aws.events"}


def test_the_scheduled_tick_decides_once(store: Store, lambda_context: Any) -> None:
    build(store, TICK)
    offline_alarm(store, "al-h", "e1", "MN0001", TICK - timedelta(hours=25))
    offline_alarm(store, "al-young", "e2", "MN0002", TICK - timedelta(hours=23))
    assert handler(_event(TICK - timedelta(hours=2)), lambda_context) == {"decided": 0}  # al-h still in time then
    assert handler(_event(TICK), lambda_context) == {"decided": 2}  # e1's provider and the branch
    assert handler(_event(TICK), lambda_context) == {"decided": 0}
    assert handler(_event(TICK + timedelta(minutes=15)), lambda_context) == {"decided": 0}
    told = _wiring.get_store().outbox.due(TICK + timedelta(hours=1), limit=100)
    assert sorted((n.event_id, n.audience) for n in told) == [
        ("maint:repair:alarm:al-h:0", "branch_staff"),
        ("maint:repair:alarm:al-h:0", "service_provider"),
    ]
