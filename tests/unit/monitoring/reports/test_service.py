"""Fault reports and stoppage requests: validation, deemed approval on working days, suppression scenarios."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from monitoring.errors import ConflictError, InvalidInputError
from monitoring.reports.models import Decision, FaultKind, FaultReport, StoppageKind, StoppageRequest
from monitoring.reports.service import (
    decide_stoppage,
    decision_calendar_warning,
    decision_deadline,
    effective_decision,
    file_fault,
    file_stoppage,
    resolve_fault,
)
from monitoring.reports.workdays import add_workdays, is_workday
from monitoring.storage.rules_memory import MemoryReportRepository
from tests.unit.monitoring.rules.world import World, at

pytestmark = pytest.mark.unit
POINTS = ("P1", "C1", "M1")


def _request(
    filed: datetime,
    start: datetime,
    end: datetime | None,
    kind: StoppageKind = StoppageKind.CONTROL_STOP,
    points: tuple[str, ...] = ("C1",),
) -> StoppageRequest:
    return StoppageRequest("S1", "E1", kind, points, start, end, "引风机计划检修", filed, "企业:张三")


def test_workdays_count_adjusted_saturday_and_skip_national_day() -> None:
    # 2026: 10-01..10-07 holiday; Saturday 10-10 is an adjusted working day (chinesecalendar's official table)
    assert not is_workday(date(2026, 10, 5)) and is_workday(date(2026, 10, 10))
    assert add_workdays(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_stoppage_undecided_for_five_working_days_is_deemed_approved() -> None:
    # Given a request received on 2026-09-30 (Beijing) before the National Day holiday
    filed = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    req = _request(filed, datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 21, tzinfo=UTC))
    deadline = decision_deadline(req)
    # Then the limit ends at 24:00 Beijing on 10-13 (the adjusted Saturday counts), i.e. 16:00 UTC
    assert deadline == datetime(2026, 10, 13, 16, 0, tzinfo=UTC)
    assert effective_decision(req, deadline - timedelta(seconds=1)) == Decision.PENDING
    assert effective_decision(req, deadline) == Decision.DEEMED_APPROVED
    assert decision_calendar_warning(req) is None


def test_a_deemed_approval_counted_in_a_year_without_a_holiday_table_says_so() -> None:
    filed = datetime(2040, 12, 28, 2, 0, tzinfo=UTC)  # a Friday; the deadline falls in 2041
    req = _request(filed, datetime(2041, 1, 20, tzinfo=UTC), datetime(2041, 1, 21, tzinfo=UTC))
    assert decision_deadline(req) == datetime(2041, 1, 4, 16, 0, tzinfo=UTC)  # Mon-Fri: 12-31 … 01-04
    assert decision_calendar_warning(req) == "2040、2041年度法定节假日安排未录入，按周一至周五计算"


def test_decision_after_deemed_approval_conflicts() -> None:
    repo = MemoryReportRepository()
    filed = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    file_stoppage(repo, _request(filed, filed + timedelta(days=30), filed + timedelta(days=31)), POINTS)
    with pytest.raises(ConflictError):
        decide_stoppage(repo, "S1", approve=False, by="执法一局", note="", now=datetime(2026, 10, 14, tzinfo=UTC))
    ok = decide_stoppage(repo, "S1", approve=False, by="执法一局", note="不同意", now=filed + timedelta(days=1))
    assert ok.decision == Decision.REJECTED


@pytest.mark.parametrize(
    ("start_offset", "end_offset", "points"),
    [
        (timedelta(hours=2), timedelta(hours=1), ("C1",)),
        (timedelta(0), timedelta(hours=1), ("X9",)),
        (timedelta(0), timedelta(hours=1), ()),
    ],
)
def test_file_stoppage_rejects_bad_windows_and_foreign_points(
    start_offset: timedelta, end_offset: timedelta, points: tuple[str, ...]
) -> None:
    t = at("00:00")
    with pytest.raises(InvalidInputError):
        file_stoppage(MemoryReportRepository(), _request(t, t + start_offset, t + end_offset, points=points), POINTS)


def test_fault_report_filed_after_two_hours_is_marked_late_and_resolves_once() -> None:
    repo = MemoryReportRepository()
    report = FaultReport(
        "F1", "E1", FaultKind.CONTROL_EQUIPMENT, ("C1",), at("01:00"), at("03:30"), "运维:李四", "风机轴承损坏"
    )
    stored = file_fault(repo, report, POINTS)
    assert stored.filed_late
    resolve_fault(repo, "F1", at("04:00"))
    with pytest.raises(ConflictError):
        resolve_fault(repo, "F1", at("04:10"))


def _stop_world() -> World:
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("04:00"), 60.0)
    w.feed("C1", at("01:00"), at("04:00"), 0.0)
    w.feed("M1", at("01:00"), at("04:00"), 70.0)
    return w


def test_approved_maintenance_window_suppresses_control_stopped() -> None:
    # Given an approved stoppage of the fan 00:50-04:10 while production continues
    w = _stop_world()
    req = _request(at("00:00", -1), at("00:50"), at("04:10"))
    file_stoppage(w.stores.reports, req, POINTS)
    decide_stoppage(w.stores.reports, "S1", approve=True, by="执法一局", note="同意", now=at("01:00", -1))
    w.run(at("00:30"), at("04:00"))
    assert w.alarms("control_stopped") == [] and w.alarms("control_low_load") == []


def test_pending_stoppage_does_not_suppress() -> None:
    w = _stop_world()
    file_stoppage(w.stores.reports, _request(at("00:00"), at("00:50"), at("04:10")), POINTS)
    w.run(at("00:30"), at("04:00"))
    assert len(w.alarms("control_stopped")) == 1


def test_partial_overlap_shows_the_stoppage_on_the_alarm() -> None:
    w = _stop_world()
    file_stoppage(w.stores.reports, _request(at("00:00", -1), at("00:50"), at("02:00")), POINTS)
    decide_stoppage(w.stores.reports, "S1", approve=True, by="执法一局", note="", now=at("01:00", -1))
    w.run(at("00:30"), at("04:00"))
    (alarm,) = w.alarms("control_stopped")
    assert alarm.data_start == at("02:00") and "stoppage:S1" in alarm.episodes[0].suppressions


def test_production_beyond_two_hours_into_unresolved_fault_raises_fault_overrun() -> None:
    # Given the fan fault is reported at 01:00 and production runs on until 04:00
    w = _stop_world()
    report = FaultReport("F1", "E1", FaultKind.CONTROL_EQUIPMENT, ("C1",), at("01:00"), at("01:20"), "企业", "风机故障")
    file_fault(w.stores.reports, report, POINTS)
    w.run(at("00:30"), at("04:00"))
    # Then the fault mutes the stop rule, but production past 03:00 is its own alarm
    assert w.alarms("control_stopped") == []
    (alarm,) = w.alarms("fault_overrun")
    assert alarm.data_start == at("03:00") and alarm.severity == "high"
