"""The notice's limits: an inspection at most every 14 calendar days, a repair within 24 calendar hours; exactly at
the limit is in time, a microsecond later is not; holidays change nothing (calendar time, not working days)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.maintenance.schedule import InspectionState, RepairState, inspection_due, repair_state

pytestmark = pytest.mark.unit
T0 = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)  # the National Day week falls inside the next 14 days
US = timedelta(microseconds=1)


def _state(now: datetime, **kw: object) -> InspectionState:
    kw.setdefault("last_inspection", (T0, "mt-1"))
    kw.setdefault("commissioned_at", None)
    return inspection_due("MN1", "e1", now, **kw).state  # type: ignore[arg-type]


def test_fourteen_calendar_days_across_the_national_day_holiday() -> None:
    limit = T0 + timedelta(days=14)  # 10-12: calendar days, the holiday (10-01..10-08) does not stretch it
    assert inspection_due("MN1", "e1", T0, last_inspection=(T0, "mt-1"), commissioned_at=None).due_at == limit
    assert _state(T0 + timedelta(days=10)) is InspectionState.OK
    assert _state(limit - timedelta(days=3)) is InspectionState.DUE_SOON
    assert _state(limit) is InspectionState.DUE_SOON  # exactly at the limit: still in time
    assert _state(limit + US) is InspectionState.OVERDUE


def test_the_clock_starts_at_commissioning_and_the_last_inspection_wins() -> None:
    later = T0 + timedelta(days=20)
    assert _state(later, last_inspection=None, commissioned_at=T0) is InspectionState.OVERDUE
    recent = (T0 + timedelta(days=15), "mt-2")
    assert _state(later, last_inspection=recent, commissioned_at=T0) is InspectionState.OK
    assert _state(later, last_inspection=None) is InspectionState.NOT_STARTED  # never commissioned: no clock


def test_twenty_four_calendar_hours_for_a_repair() -> None:
    deadline = T0 + timedelta(hours=24)
    assert repair_state(T0, deadline, repaired_at=None, recovered_at=None) is RepairState.OPEN
    assert repair_state(T0, deadline + US, repaired_at=None, recovered_at=None) is RepairState.OVERDUE
    assert repair_state(T0, deadline + US, repaired_at=deadline, recovered_at=None) is RepairState.DONE
    assert repair_state(T0, deadline + US, repaired_at=deadline + US, recovered_at=None) is RepairState.DONE_LATE
    # cleared by itself within the limit: nothing to repair; after it, the repair was still owed
    assert repair_state(T0, deadline + US, repaired_at=None, recovered_at=deadline) is RepairState.RECOVERED
    assert repair_state(T0, deadline + US * 2, repaired_at=None, recovered_at=deadline + US) is RepairState.OVERDUE
