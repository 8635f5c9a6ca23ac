"""Point latest and series: minute rows up to 24 h, hourly buckets beyond, bounds, gaps as no data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.clock import FixedClock
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.readings.models import Aggregate, AggregatePeriod, QuantityStats, ReadingKind
from monitoring.storage.memory import memory_store
from monitoring.storage.retention import RetentionPolicy
from monitoring.views.series import HOUR_RESOLUTION, MINUTE_RESOLUTION, gaps_between, latest, point_series
from tests.unit.monitoring.views.world import NOW, minutes, put, seed, world

pytestmark = pytest.mark.unit
T0 = NOW - timedelta(hours=2)


def test_gaps_tolerate_one_missed_sample_not_two() -> None:
    m = timedelta(minutes=1)
    times = [T0, T0 + m, T0 + 3 * m, T0 + 7 * m]  # one missed at +2 (tolerated), three from +4 (a gap)
    assert gaps_between(times, T0, T0 + 8 * m, m) == [(T0 + 4 * m, T0 + 7 * m)]
    assert gaps_between([], T0, T0 + 10 * m, m) == [(T0, T0 + 10 * m)]
    assert gaps_between([T0 + 5 * m], T0, T0 + 6 * m, m) == [(T0, T0 + 5 * m)]


def test_minute_series_reports_values_flags_and_a_gap_as_no_data() -> None:
    s = world()
    put(s, minutes("p1", T0, 30, p=80.0, ia=120.0))
    put(s, minutes("p1", T0 + timedelta(minutes=60), 30, p=0.0, ia=0.0))
    series = point_series(s, "p1", T0, T0 + timedelta(minutes=90), quantities=["p"], visible=None, now=NOW)
    assert series.resolution == MINUTE_RESOLUTION and series.quantities == ("p",)
    assert len(series.rows) == 60
    assert series.rows[0].values == {"p": 80.0} and series.rows[-1].values == {"p": 0.0}
    # the missing half hour is a gap, not zeros
    assert series.gaps == [(T0 + timedelta(minutes=30), T0 + timedelta(minutes=60))]


def test_series_beyond_a_day_uses_hourly_buckets_with_mean_min_max() -> None:
    s = world()
    start = NOW - timedelta(days=3)
    for h in range(72):
        if h in (10, 11, 12):
            continue  # three hours without data
        at = start + timedelta(hours=h)
        stats = {"p": QuantityStats(60, 10.0, 90.0, 50.0 + h)}
        s.readings.put_aggregate(Aggregate("p1", AggregatePeriod.HOUR, at, 60, stats, energy_kwh=50.0))
    series = point_series(s, "p1", start, NOW, visible=None, now=NOW)
    assert series.resolution == HOUR_RESOLUTION
    assert len(series.rows) == 69
    row = series.rows[0]
    assert (row.values, row.minimum, row.maximum, row.samples, row.energy_kwh) == (
        {"p": 50.0},
        {"p": 10.0},
        {"p": 90.0},
        60,
        50.0,
    )
    assert series.gaps == [(start + timedelta(hours=10), start + timedelta(hours=13))]


@pytest.mark.parametrize(
    ("start", "end", "quantities"),
    [
        (NOW - timedelta(days=32), NOW, ["p"]),  # too long
        (NOW, NOW - timedelta(hours=1), ["p"]),  # reversed
        (NOW + timedelta(hours=1), NOW + timedelta(hours=2), ["p"]),  # entirely in the future
        (T0, NOW, ["p", "nonsense"]),
        (T0, NOW, ["p; DROP TABLE reading"]),
        (T0, NOW, ["ua", "ub", "uc", "ia", "ib", "ic", "p", "q", "s"]),  # more than 8
        (T0.replace(tzinfo=None), NOW, ["p"]),  # naive
    ],
)
def test_bad_windows_and_quantities_are_refused(start: datetime, end: datetime, quantities: list[str]) -> None:
    with pytest.raises(InvalidInputError):
        point_series(world(), "p1", start, end, quantities=quantities, visible=None, now=NOW)


def test_series_end_is_capped_at_now() -> None:
    series = point_series(world(), "p1", T0, NOW + timedelta(hours=5), visible=None, now=NOW)
    assert series.end == NOW and series.gaps == [(T0, NOW)]


def test_point_outside_scope_is_not_found() -> None:
    s = world()
    with pytest.raises(NotFoundError):
        point_series(s, "p1", T0, NOW, visible=frozenset({"e2"}), now=NOW)
    with pytest.raises(NotFoundError):
        latest(s, "p1", visible=frozenset({"e2"}))
    with pytest.raises(NotFoundError):
        latest(s, "p404", visible=None)


def test_latest_gives_every_kind_the_point_has() -> None:
    s = world()
    put(s, minutes("p1", T0, 3, p=80.0))
    point, found = latest(s, "p1", visible=frozenset({"e1"}))
    assert point.point_id == "p1"
    assert list(found) == [ReadingKind.MINUTE]
    assert found[ReadingKind.MINUTE].data_time == T0 + timedelta(minutes=2)
    assert datetime(2026, 1, 1, tzinfo=UTC) < found[ReadingKind.MINUTE].data_time


def test_times_at_the_ends_of_the_calendar_are_refused_not_crashed() -> None:
    from datetime import timezone

    far = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-12)))
    early = datetime(1, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=8)))
    for start, end in ((T0, far), (early, NOW)):
        with pytest.raises(InvalidInputError):
            point_series(world(), "p1", start, end, visible=None, now=NOW)


def test_a_day_past_the_minute_retention_is_answered_from_hourly_buckets() -> None:
    # Given a store keeping minute readings 35 days (AWS) and a day 40 days ago with its hourly buckets kept
    s = memory_store(clock=FixedClock(NOW), retention=RetentionPolicy(minute_days=35))
    seed(s)
    day = NOW - timedelta(days=40)
    for h in range(24):
        stats = {"p": QuantityStats(60, 10.0, 90.0, 50.0)}
        s.readings.put_aggregate(Aggregate("p1", AggregatePeriod.HOUR, day + timedelta(hours=h), 60, stats))
    # When a chart asks for that day (24 h: minute rows if they were kept)
    old = point_series(s, "p1", day, day + timedelta(hours=24), quantities=["p"], visible=None, now=NOW)
    # Then it gets the hourly buckets, not a day of gaps; a recent day still gets minutes
    assert old.resolution == HOUR_RESOLUTION and len(old.rows) == 24 and old.gaps == []
    recent = point_series(s, "p1", NOW - timedelta(days=34), NOW - timedelta(days=33), visible=None, now=NOW)
    assert recent.resolution == MINUTE_RESOLUTION
