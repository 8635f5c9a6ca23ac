"""Alert declaration: Beijing times, bounds, idempotent add, lifting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitoring.emergency.declare import add_alert, end_alert, new_alert, parse_time
from monitoring.emergency.models import Level
from monitoring.errors import InvalidInputError
from monitoring.storage.rules_memory import MemoryEmergencyRepository

pytestmark = pytest.mark.unit


def test_times_without_offset_are_beijing_time_in_whole_minutes() -> None:
    assert parse_time("2026-12-06T08:00:42") == datetime(2026, 12, 6, 0, 0, tzinfo=UTC)
    assert parse_time("2026-12-06T08:00+00:00") == datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    with pytest.raises(InvalidInputError):
        parse_time("明天八点")


def test_alert_must_end_after_it_starts_and_within_31_days() -> None:
    start = parse_time("2026-12-06T08:00")
    with pytest.raises(InvalidInputError):
        new_alert(Level.RED, start, start)
    with pytest.raises(InvalidInputError):
        new_alert(Level.RED, start, parse_time("2027-01-07T08:00"))
    alert = new_alert(Level.RED, start, parse_time("2026-12-07T08:00"))
    assert alert.id == "YJ-202612060800-red" and alert.start.tzinfo is UTC and alert.enterprises is None


def test_add_is_idempotent_and_end_moves_the_end_only() -> None:
    repo = MemoryEmergencyRepository()
    alert = new_alert(Level.ORANGE, parse_time("2026-12-06T08:00"), parse_time("2026-12-08T20:00"), title="橙色预警")
    assert add_alert(repo, alert) is True and add_alert(repo, alert) is False
    ended = end_alert(repo, alert.id, parse_time("2026-12-07T12:00"))
    assert repo.get_alert(alert.id) == ended and ended.end == datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
    assert (ended.level, ended.start, ended.title) == (alert.level, alert.start, alert.title)
    with pytest.raises(InvalidInputError):
        end_alert(repo, alert.id, parse_time("2026-12-06T07:00"))  # before it started
