"""Simulated time and the terminal's own (drifting, settable) clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from simulator.clock import SimClock, TerminalClock

pytestmark = pytest.mark.unit
T0 = datetime(2026, 11, 30, 8, 0, 0)


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_sim_clock_runs_accel_times_faster_and_restarts_at_start() -> None:
    mono = FakeMonotonic()
    clock = SimClock(T0, 60.0, monotonic=mono)
    mono.t += 2.0
    assert clock.now() == T0 + timedelta(minutes=2)
    assert clock.real_delay(T0 + timedelta(minutes=3)) == pytest.approx(1.0)
    assert clock.real_delay(T0) == 0.0
    clock.reset()
    assert clock.now() == T0


def test_sim_clock_rejects_a_non_positive_factor() -> None:
    with pytest.raises(ValueError):
        SimClock(T0, 0.0)


def test_terminal_clock_drifts_from_its_first_reading_and_is_set_exactly() -> None:
    clock = TerminalClock(drift_s_per_hour=36.0)
    assert clock.read(T0) == T0
    assert clock.read(T0 + timedelta(hours=2)) == T0 + timedelta(hours=2, seconds=72)
    clock.set(T0 + timedelta(hours=2), T0 + timedelta(hours=2))
    assert clock.read(T0 + timedelta(hours=3)) == T0 + timedelta(hours=3, seconds=36)
