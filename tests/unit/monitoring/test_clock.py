"""Clocks: the fixed clock moves only when told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.clock import FixedClock, SystemClock

pytestmark = pytest.mark.unit


def test_fixed_clock_stands_still_then_advances() -> None:
    clock = FixedClock(datetime(2026, 11, 28, tzinfo=UTC))
    assert clock.now() == clock.now()
    assert clock.advance(timedelta(minutes=5)) == datetime(2026, 11, 28, 0, 5, tzinfo=UTC)


def test_fixed_clock_refuses_naive_time() -> None:
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 11, 28))


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_sleeping_waits_on_the_wall_clock_and_moves_a_fixed_one_on() -> None:
    fixed = FixedClock(datetime(2026, 11, 28, tzinfo=UTC))
    fixed.sleep(14.5)
    assert fixed.now() == datetime(2026, 11, 28, 0, 0, 14, 500_000, tzinfo=UTC)
    fixed.sleep(-3)  # a negative wait is none
    assert fixed.now() == datetime(2026, 11, 28, 0, 0, 14, 500_000, tzinfo=UTC)
    wall = SystemClock()
    before = wall.now()
    wall.sleep(0.05)
    assert wall.now() - before >= timedelta(seconds=0.05)
