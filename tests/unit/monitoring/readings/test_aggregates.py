"""Aggregates and completeness from readings (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from monitoring.readings.aggregates import aggregate, day_completeness, summarize
from monitoring.readings.models import AggregatePeriod, Reading, ReadingKind
from monitoring.readings.rollup import days_due, own_hour_due, previous_hour_due

pytestmark = pytest.mark.unit
H = datetime(2026, 11, 28, 2, tzinfo=UTC)  # 10:00 China time


def _r(minute: int, **values: float) -> Reading:
    return Reading("pt", H + timedelta(minutes=minute), ReadingKind.MINUTE, values)


def test_aggregate_hour_with_counter_reset_has_stats_and_non_negative_energy() -> None:
    readings = [_r(0, p=10, ep_fwd=100), _r(1, p=20, ep_fwd=100.3), _r(2, p=30, ep_fwd=0.1), _r(3, p=0, ep_fwd=0.4)]
    result = aggregate("pt", AggregatePeriod.HOUR, H, readings, baseline=99.9, computed_at=H)
    assert result.samples == 4
    assert result.stats["p"].mean == 15 and result.stats["p"].maximum == 30
    assert "ep_fwd" not in result.stats  # counters are summarised as energy, not averaged
    assert result.energy_kwh == pytest.approx(0.1 + 0.3 + 0.0 + 0.3)


def test_aggregate_without_counter_has_unknown_energy_not_zero() -> None:
    result = aggregate("pt", AggregatePeriod.HOUR, H, [_r(0, p=1)], baseline=None, computed_at=H)
    assert result.energy_kwh is None
    assert summarize([]) == {}


def test_day_completeness_counts_distinct_samples_against_elapsed_day() -> None:
    # Given a day that started at 16:00 UTC and is 2 h old, with one duplicate and one out-of-day sample
    day = date(2026, 11, 28)
    start = datetime(2026, 11, 27, 16, tzinfo=UTC)
    times = [start + timedelta(minutes=m) for m in (0, 1, 1, 5)] + [start - timedelta(minutes=1)]
    readings = [Reading("pt", t, ReadingKind.MINUTE, {"p": 1.0}) for t in times]
    result = day_completeness("pt", day, ReadingKind.MINUTE, readings, timedelta(minutes=1), start + timedelta(hours=2))
    assert (result.expected, result.received) == (120, 3)
    assert result.first_at == start and result.last_at == start + timedelta(minutes=5)


def test_day_completeness_of_a_past_day_expects_the_whole_day() -> None:
    result = day_completeness("pt", date(2026, 11, 1), ReadingKind.MINUTE, [], timedelta(minutes=5), H)
    assert (result.expected, result.received, result.ratio) == (288, 0, 0.0)


def test_hours_due_rolls_up_closed_hours_and_the_previous_hour_at_a_boundary() -> None:
    now, grace = H + timedelta(minutes=1), timedelta(minutes=2)
    assert own_hour_due(H - timedelta(minutes=1), now) == H - timedelta(hours=1)  # 17:59 after 18:00: late
    assert previous_hour_due(H - timedelta(minutes=1), grace) is None
    assert previous_hour_due(H + timedelta(seconds=30), grace) == H - timedelta(hours=1)
    assert own_hour_due(H + timedelta(seconds=30), now) is None
    assert previous_hour_due(H + timedelta(minutes=30), grace) is None


def test_hours_due_with_an_offset_moves_the_trigger_and_the_late_boundary_together() -> None:
    offset, window = timedelta(minutes=20), timedelta(minutes=5)
    assert previous_hour_due(H + timedelta(minutes=19), window, offset) is None
    assert previous_hour_due(H + timedelta(minutes=20), window, offset) == H - timedelta(hours=1)
    assert previous_hour_due(H + timedelta(minutes=24, seconds=59), window, offset) == H - timedelta(hours=1)
    assert previous_hour_due(H + timedelta(minutes=25), window, offset) is None
    late = timedelta(minutes=58)  # the window runs into the next hour: 58, 59, 00, 01, 02
    assert previous_hour_due(H + timedelta(minutes=59), window, late) == H - timedelta(hours=1)
    assert previous_hour_due(H + timedelta(hours=1, minutes=2), window, late) == H - timedelta(hours=1)
    assert previous_hour_due(H + timedelta(hours=1, minutes=3), window, late) is None
    assert previous_hour_due(H + timedelta(seconds=30), timedelta(seconds=60)) == H - timedelta(hours=1)
    assert previous_hour_due(H + timedelta(seconds=30), timedelta(seconds=60), timedelta(minutes=59)) is None
    # 17:59 arriving at 18:05 waits for 18:20's roll-up; arriving at 18:20 or later it re-rolls 17:00 itself
    assert own_hour_due(H - timedelta(minutes=1), H + timedelta(minutes=5), offset) is None
    assert own_hour_due(H - timedelta(minutes=1), H + timedelta(minutes=20), offset) == H - timedelta(hours=1)
    now = H + timedelta(minutes=1)
    assert days_due([H - timedelta(hours=11)], now) == {date(2026, 11, 27)}
    assert days_due([H], now) == set()
