"""Contract: `readings.hours_with_data` gives, per point, the starts of its hourly aggregates in [start, end) that
had samples, exactly what the decoded aggregates say (sqlite reads `samples` in SQL, DynamoDB two JSON fields)."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from monitoring.errors import InvalidInputError
from monitoring.readings.models import Aggregate, AggregatePeriod, QuantityStats
from monitoring.storage.ports import Store
from tests.contract.storage.conftest import NOW

pytestmark = pytest.mark.contract
H = timedelta(hours=1)
T0 = NOW.replace(minute=0, second=0, microsecond=0)


def _hour(point: str, n: int, samples: int, period: AggregatePeriod = AggregatePeriod.HOUR) -> Aggregate:
    return Aggregate(point, period, T0 + n * H, samples, {"p": QuantityStats(samples or 1, 1.0, 2.0, 1.5)}, 3.0)


def test_hours_with_samples_per_point_in_range(store: Store) -> None:
    for a in (
        _hour("p1", 0, 60),
        _hour("p1", 1, 0),  # rolled up with no readings: not an hour with data
        _hour("p1", 2, 12),
        _hour("p1", 5, 60),  # outside [T0, T0 + 5 h)
        _hour("p1", -1, 60),  # before
        _hour("p2", 3, 1),
        _hour("p1", 0, 1440, AggregatePeriod.DAY),  # another period
        _hour("p9", 0, 60),  # not asked for
    ):
        store.readings.put_aggregate(a)
    got = store.readings.hours_with_data(["p1", "p2", "p3", "p1"], T0, T0 + 5 * H)
    assert got == {"p1": {T0, T0 + 2 * H}, "p2": {T0 + 3 * H}, "p3": set()}
    assert all(t.tzinfo is not None and t.utcoffset() == timedelta(0) for t in got["p1"])
    decoded = store.readings.aggregates_of(["p1", "p2"], AggregatePeriod.HOUR, T0, T0 + 5 * H)
    assert {pid: {a.start for a in aggs if a.samples > 0} for pid, aggs in decoded.items()} == {
        "p1": got["p1"],
        "p2": got["p2"],
    }
    assert store.readings.hours_with_data([], T0, T0 + H) == {}
    assert T0.astimezone(UTC) in got["p1"]


def test_hours_with_data_refuses_a_reversed_range(store: Store) -> None:
    with pytest.raises(InvalidInputError):
        store.readings.hours_with_data(["p1"], T0 + H, T0)
