"""Interval energy: resets and rollovers never make energy negative or invented."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.readings.energy import interval_energy, series_energy

pytestmark = pytest.mark.unit
T0 = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    ("previous", "current", "kwh", "note"),
    [
        (100.0, 101.5, 1.5, "ok"),
        (100.0, 100.0, 0.0, "ok"),
        (None, 100.0, None, "first"),
        (100.0, None, None, "missing"),
        (999_999.5, 0.7, pytest.approx(1.2), "rollover"),
        (99_999_998.0, 3.0, pytest.approx(5.0), "rollover"),
        (5000.0, 12.0, 0.0, "reset"),
        (100.0, 99.9, 0.0, "reset"),
    ],
)
def test_interval_energy_between_two_counters(
    previous: float | None, current: float | None, kwh: object, note: str
) -> None:
    step = interval_energy(previous, current)
    assert step.kwh == kwh
    assert step.note == note


def test_interval_energy_with_jump_above_max_is_implausible() -> None:
    assert interval_energy(100.0, 5000.0, max_kwh=50.0).note == "implausible"
    assert interval_energy(100.0, 5000.0, max_kwh=50.0).kwh is None


def test_series_energy_with_reset_in_middle_counts_only_known_use() -> None:
    # Given a counter that is replaced (reset to 0) after 30 minutes
    samples = [(T0 + timedelta(minutes=m), v) for m, v in [(0, 10.0), (15, 12.0), (30, 14.0), (45, 0.5), (60, 2.5)]]
    # When summed with the previous hour's last value as the baseline
    total, steps = series_energy(samples, baseline=9.0)
    # Then energy before and after the reset is counted, the reset interval contributes nothing
    assert total == pytest.approx(1.0 + 2.0 + 2.0 + 0.0 + 2.0)
    assert [s.note for s in steps] == ["ok", "ok", "ok", "reset", "ok"]


def test_series_energy_sorts_by_time_and_skips_missing() -> None:
    samples = [(T0 + timedelta(minutes=2), 12.0), (T0, 10.0), (T0 + timedelta(minutes=1), None)]
    total, steps = series_energy(samples)
    assert total == 2.0
    assert [s.note for s in steps] == ["first", "missing", "ok"]


@given(st.lists(st.floats(min_value=0, max_value=1e12, allow_nan=False), max_size=30))
def test_series_energy_is_never_negative(values: list[float]) -> None:
    total, steps = series_energy([(T0 + timedelta(minutes=i), v) for i, v in enumerate(values)])
    assert total >= 0
    assert all(s.kwh is None or s.kwh >= 0 for s in steps)
