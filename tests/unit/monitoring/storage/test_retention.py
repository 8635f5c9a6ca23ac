"""Retention: TTLs count from the record's own time; nonsense settings are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitoring.errors import InvalidInputError
from monitoring.readings.models import AggregatePeriod, ReadingKind
from monitoring.storage.retention import RetentionPolicy, expires_at

pytestmark = pytest.mark.unit


def test_expires_at_counts_days_from_the_data_time() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    assert expires_at(t, 1) == int(datetime(2026, 1, 2, tzinfo=UTC).timestamp())
    assert expires_at(t, None) is None


def test_policy_maps_kinds_and_periods() -> None:
    p = RetentionPolicy(realtime_days=7, minute_days=90, hourly_aggregate_days=800)
    assert p.reading_days(ReadingKind.REALTIME) == 7 and p.reading_days(ReadingKind.MINUTE) == 90
    assert p.reading_days(ReadingKind.DAY) is None
    assert p.aggregate_days(AggregatePeriod.HOUR) == 800 and p.aggregate_days(AggregatePeriod.DAY) is None


@pytest.mark.parametrize("days", [0, -1, 1.5, True])
def test_policy_with_nonsense_days_is_refused(days: object) -> None:
    with pytest.raises(InvalidInputError):
        RetentionPolicy(realtime_days=days)  # type: ignore[arg-type]
