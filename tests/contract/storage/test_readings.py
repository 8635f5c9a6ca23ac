"""Contract: readings are idempotent, "latest" never rolls back, aggregates and completeness upsert."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from monitoring.clock import FixedClock
from monitoring.readings.models import (
    Aggregate,
    AggregatePeriod,
    Completeness,
    QuantityStats,
    Reading,
    ReadingKind,
)
from monitoring.storage.ports import Store
from tests.contract.storage.conftest import NOW

pytestmark = pytest.mark.contract
MIN = ReadingKind.MINUTE


def _r(minutes: int, p: float = 10.0, point: str = "p1", kind: ReadingKind = MIN) -> Reading:
    return Reading(point, NOW + timedelta(minutes=minutes), kind, {"p": p, "ia": p / 2}, mn="MN0001")


def test_readings_duplicate_delivery_is_stored_once(store: Store) -> None:
    # Given a batch, delivered twice (and with a duplicate inside itself)
    batch = [_r(0), _r(1), _r(1)]
    # When stored twice
    first = store.readings.put_readings(batch)
    second = store.readings.put_readings(batch)
    # Then only the first copies are new, and history holds two rows
    assert first == [True, True, False]
    assert second == [False, False, False]
    assert len(store.readings.readings("p1", MIN, NOW, NOW + timedelta(hours=1))) == 2


def test_readings_duplicate_with_other_values_keeps_the_first(store: Store) -> None:
    store.readings.put_reading(_r(0, p=10.0))
    assert store.readings.put_reading(_r(0, p=99.0)) is False
    assert store.readings.readings("p1", MIN, NOW, NOW + timedelta(minutes=1))[0].values["p"] == 10.0


def test_readings_late_backfill_fills_history_without_rolling_latest_back(store: Store) -> None:
    # Given the point's current reading at +30 min
    store.readings.put_reading(_r(30, p=30.0))
    # When backfill for +0..+29 arrives afterwards
    store.readings.put_readings([_r(m, p=float(m)) for m in range(30)])
    # Then history is complete and latest is still +30
    assert len(store.readings.readings("p1", MIN, NOW, NOW + timedelta(hours=1))) == 31
    latest = store.readings.latest("p1", MIN)
    assert latest is not None and latest.values["p"] == 30.0


def test_readings_latest_is_kept_per_kind_and_point(store: Store) -> None:
    store.readings.put_readings([_r(5), _r(1, kind=ReadingKind.REALTIME), _r(9, point="p2")])
    latest = store.readings.latest_all_kinds("p1")
    assert set(latest) == {ReadingKind.MINUTE, ReadingKind.REALTIME}
    assert latest[MIN].data_time == NOW + timedelta(minutes=5)
    assert store.readings.latest("p2", MIN) is not None
    assert store.readings.latest("p3", MIN) is None


def test_readings_from_the_far_future_never_become_latest(store: Store, clock: FixedClock) -> None:
    # Given a terminal whose clock jumped a year ahead
    store.readings.put_reading(_r(0))
    assert store.readings.put_reading(_r(365 * 24 * 60)) is True
    # Then the reading is kept as history but does not freeze "latest"
    latest = store.readings.latest("p1", MIN)
    assert latest is not None and latest.data_time == NOW
    assert len(store.readings.readings("p1", MIN, NOW, NOW + timedelta(days=400))) == 2


def test_readings_range_is_half_open_ordered_and_limited(store: Store) -> None:
    store.readings.put_readings([_r(m) for m in (5, 1, 3, 2, 4)])
    got = store.readings.readings("p1", MIN, NOW + timedelta(minutes=2), NOW + timedelta(minutes=5))
    assert [r.data_time.minute - NOW.minute for r in got] == [2, 3, 4]
    limited = store.readings.readings("p1", MIN, NOW, NOW + timedelta(hours=1), limit=2)
    assert [r.data_time.minute - NOW.minute for r in limited] == [1, 2]


def test_readings_round_trip_keeps_flags_raw_and_times(store: Store) -> None:
    r = Reading(
        "p1",
        NOW + timedelta(microseconds=123_000),
        ReadingKind.REALTIME,
        {"ua": 220.1, "ep_fwd": 123456.78, "pf": -0.5},
        flags={"ua": "N", "pf": "D"},
        raw={"x99901": {"Rtd": "1.0", "Flag": "N"}},
        mn="MN0001",
        received_at=NOW + timedelta(seconds=2),
    )
    store.readings.put_reading(r)
    assert store.readings.readings("p1", ReadingKind.REALTIME, NOW, NOW + timedelta(seconds=1)) == [r]


def test_readings_aggregates_upsert_and_range(store: Store) -> None:
    stats = {"p": QuantityStats(count=60, minimum=1.0, maximum=9.0, mean=5.0)}
    a1 = Aggregate("p1", AggregatePeriod.HOUR, NOW, samples=60, stats=stats, energy_kwh=5.0)
    store.readings.put_aggregate(a1)
    a1b = Aggregate("p1", AggregatePeriod.HOUR, NOW, samples=59, stats=stats, energy_kwh=4.9, run_seconds=3540.0)
    store.readings.put_aggregate(a1b)  # a recomputation replaces
    store.readings.put_aggregate(Aggregate("p1", AggregatePeriod.HOUR, NOW + timedelta(hours=1), samples=1))
    store.readings.put_aggregate(Aggregate("p1", AggregatePeriod.DAY, NOW, samples=1))
    got = store.readings.aggregates("p1", AggregatePeriod.HOUR, NOW, NOW + timedelta(hours=2))
    assert got[0] == a1b and len(got) == 2
    assert len(store.readings.aggregates("p1", AggregatePeriod.DAY, NOW, NOW + timedelta(days=1))) == 1


def test_aggregates_of_several_points_equal_each_points_own(store: Store) -> None:
    for pid, hours in (("p1", 3), ("p2", 1), ("p3", 2)):
        for h in range(hours):
            start = NOW + timedelta(hours=h)
            store.readings.put_aggregate(Aggregate(pid, AggregatePeriod.HOUR, start, samples=60, energy_kwh=h + 1.0))
    store.readings.put_aggregate(Aggregate("p2", AggregatePeriod.DAY, NOW, samples=1))  # another period
    end = NOW + timedelta(hours=2)  # p1's third hour is outside
    got = store.readings.aggregates_of(["p1", "p2", "p1", "nobody"], AggregatePeriod.HOUR, NOW, end)
    assert set(got) == {"p1", "p2", "nobody"} and got["nobody"] == []
    for pid in ("p1", "p2"):
        assert got[pid] == store.readings.aggregates(pid, AggregatePeriod.HOUR, NOW, end)
    assert [a.energy_kwh for a in got["p1"]] == [1.0, 2.0] and len(got["p2"]) == 1
    assert store.readings.aggregates_of([], AggregatePeriod.HOUR, NOW, end) == {}


def test_readings_completeness_upsert_and_range(store: Store) -> None:
    d = date(2026, 11, 28)
    store.readings.put_completeness(Completeness("p1", d, MIN, expected=1440, received=10))
    store.readings.put_completeness(Completeness("p1", d, MIN, expected=1440, received=1400, first_at=NOW))
    store.readings.put_completeness(Completeness("p1", d + timedelta(days=1), MIN, expected=1440, received=0))
    got = store.readings.completeness("p1", d, d + timedelta(days=5))
    assert [c.received for c in got] == [1400, 0]
    assert got[0].first_at == NOW and round(got[0].ratio, 3) == 0.972


def test_readings_purge_removes_expired_realtime_but_keeps_hourly(store: Store) -> None:
    # Given real-time data (35-day retention) and hour data (kept forever)
    store.readings.put_reading(_r(0, kind=ReadingKind.REALTIME))
    store.readings.put_reading(_r(0, kind=ReadingKind.HOUR))
    # When purging 36 days later
    removed = store.readings.purge_expired(NOW + timedelta(days=36))
    # Then only the real-time row is gone
    assert removed == 1
    assert store.readings.readings("p1", ReadingKind.REALTIME, NOW, NOW + timedelta(hours=1)) == []
    assert len(store.readings.readings("p1", ReadingKind.HOUR, NOW, NOW + timedelta(hours=1))) == 1
