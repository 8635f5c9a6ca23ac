"""The registry change mark's bump times: minutes since 2026-01-01, rounded up; old epoch seconds still read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.storage.dynamodb.registry import MARK_EPOCH, mark_minutes, mark_time

pytestmark = pytest.mark.unit


def test_a_bump_time_is_stored_in_whole_minutes_rounded_up() -> None:
    at = datetime(2026, 12, 6, 21, 40, 0, tzinfo=UTC)
    assert mark_time(mark_minutes(at)) == at
    # a second into the minute reads as its end: the settling lasts longer, never shorter
    assert mark_time(mark_minutes(at + timedelta(seconds=1))) == at + timedelta(minutes=1)
    assert mark_minutes(at) == 489_460 and len(str(mark_minutes(at))) == 6  # 4 bytes in DynamoDB, not 6
    assert mark_minutes(MARK_EPOCH) == 0


def test_an_older_items_epoch_seconds_still_read() -> None:
    at = datetime(2026, 12, 6, 21, 40, 7, tzinfo=UTC)
    assert mark_time(int(at.timestamp())) == at
    # minutes stay far below epoch seconds for centuries
    assert mark_minutes(datetime(2200, 1, 1, tzinfo=UTC)) < int(MARK_EPOCH.timestamp())
