"""The alarm workflow: transitions, permissions, time limits, escalation with repeated reminders, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.alarms.models import Actor, ActorRole, Alarm, AlarmState, Cause, Episode
from monitoring.alarms.service import close, dispatch, escalate, overdue, overdue_summary, respond, verify
from monitoring.errors import ConflictError, InvalidInputError
from monitoring.storage.rules_memory import MemoryAlarmRepository, MemoryAuditLog

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ENTERPRISE = Actor("u-ent", ActorRole.ENTERPRISE, "ip:198.51.100.7 miniprogram", enterprise_id="E1")
BUREAU = Actor("u-yjk", ActorRole.BUREAU, "ip:10.0.0.5 web")
BRANCH = Actor("u-zf1", ActorRole.BRANCH, "ip:10.0.0.9 miniprogram", branch="执法一局")


def _world() -> tuple[MemoryAlarmRepository, MemoryAuditLog, Alarm]:
    alarms, audit = MemoryAlarmRepository(), MemoryAuditLog()
    ep = Episode(T - timedelta(minutes=15), None, {"thresholds": {}}, {"C1": {"known_share": 1.0}})
    alarm = Alarm("a1", "control_stopped", "A1/C1", "E1", "high", AlarmState.PENDING, (ep,), T, T, ("P1", "C1"))
    return alarms, audit, alarms.put(alarm, expected_version=None)


def test_full_lifecycle_is_audited_with_who_when_what_and_where() -> None:
    alarms, audit, a = _world()
    respond(
        alarms,
        audit,
        "a1",
        cause=Cause.EQUIPMENT_FAULT,
        text="风机跳闸",
        photos=["s3://p/1.jpg"],
        actor=ENTERPRISE,
        now=T + timedelta(minutes=30),
    )
    dispatch(alarms, audit, "a1", branch="执法一局", actor=BUREAU, now=T + timedelta(hours=1))
    verify(
        alarms,
        audit,
        "a1",
        result="现场核实风机故障已修复",
        photos=["s3://p/2.jpg"],
        actor=BRANCH,
        now=T + timedelta(hours=5),
    )
    done = close(alarms, audit, "a1", note="办结", actor=BUREAU, now=T + timedelta(hours=6))
    assert done.state == AlarmState.CLOSED and done.response is not None and done.verification is not None
    trail = audit.for_alarm("a1")
    assert [(e.action, e.from_state, e.to_state) for e in trail] == [
        ("responded", "pending", "responded"),
        ("dispatched", "responded", "dispatched"),
        ("verified", "dispatched", "verified"),
        ("closed", "verified", "closed"),
    ]
    assert (
        trail[0].actor == "u-ent"
        and trail[0].source.startswith("ip:198.51.100.7")
        and trail[0].at == T + timedelta(minutes=30)
    )


def test_respond_by_other_enterprise_or_twice_conflicts() -> None:
    alarms, audit, _ = _world()
    other = Actor("u-x", ActorRole.ENTERPRISE, "", enterprise_id="E2")
    with pytest.raises(ConflictError):
        respond(alarms, audit, "a1", cause=Cause.OTHER, text="", photos=[], actor=other, now=T)
    respond(alarms, audit, "a1", cause=Cause.FALSE_ALARM, text="", photos=[], actor=ENTERPRISE, now=T)
    with pytest.raises(ConflictError):
        respond(alarms, audit, "a1", cause=Cause.FALSE_ALARM, text="", photos=[], actor=ENTERPRISE, now=T)


def test_response_with_too_many_photos_is_invalid() -> None:
    alarms, audit, _ = _world()
    with pytest.raises(InvalidInputError):
        respond(alarms, audit, "a1", cause=Cause.OTHER, text="x", photos=["p"] * 10, actor=ENTERPRISE, now=T)


def test_branch_cannot_verify_before_dispatch_or_for_another_branch() -> None:
    alarms, audit, _ = _world()
    with pytest.raises(ConflictError):
        verify(alarms, audit, "a1", result="x", photos=[], actor=BRANCH, now=T)
    dispatch(alarms, audit, "a1", branch="执法二局", actor=BUREAU, now=T)
    with pytest.raises(ConflictError):
        verify(alarms, audit, "a1", result="x", photos=[], actor=BRANCH, now=T)


def test_no_response_in_two_hours_escalates_to_branch_and_reminds_hourly() -> None:
    alarms, audit, _ = _world()
    branch_of = {"E1": "执法一局"}.get
    # Before the limit nothing happens
    assert escalate(alarms, audit, T + timedelta(hours=1, minutes=59), branch_of) == []
    # At 2 h 05 the alarm is escalated: dispatched to the branch, enterprise, branch and 应急科 reminded
    sent = escalate(alarms, audit, T + timedelta(hours=2, minutes=5), branch_of)
    assert {r.audience for r in sent} == {"enterprise", "branch", "emergency_section"}
    a = alarms.get("a1")
    assert a.state == AlarmState.DISPATCHED and a.dispatched_to == "执法一局" and a.escalated_at is not None
    # The next 5-minute run sends nothing; an hour later the enterprise is reminded again
    assert escalate(alarms, audit, T + timedelta(hours=2, minutes=10), branch_of) == []
    again = escalate(alarms, audit, T + timedelta(hours=3, minutes=5), branch_of)
    assert {r.audience for r in again} == {"enterprise", "emergency_section"}
    # A late response is still accepted and recorded as late
    respond(
        alarms,
        audit,
        "a1",
        cause=Cause.MAINTENANCE,
        text="检修",
        photos=[],
        actor=ENTERPRISE,
        now=T + timedelta(hours=3, minutes=20),
    )
    assert audit.for_alarm("a1")[-1].detail["late"] is True
    assert overdue(alarms.get("a1"), T + timedelta(hours=4)) == []


def test_investigation_overdue_after_24_hours_is_counted() -> None:
    alarms, audit, _ = _world()
    respond(alarms, audit, "a1", cause=Cause.OTHER, text="", photos=[], actor=ENTERPRISE, now=T)
    dispatch(alarms, audit, "a1", branch="执法一局", actor=BUREAU, now=T + timedelta(hours=1))
    late = T + timedelta(hours=25, minutes=5)
    assert overdue(alarms.get("a1"), late) == ["investigation"]
    summary = overdue_summary(alarms.list(), late, lambda e: None)
    assert summary == {"by_kind": {"investigation": 1}, "by_branch": {"执法一局": 1}}
    sent = escalate(alarms, audit, late, lambda e: None)
    assert {r.reason for r in sent} == {"investigation_overdue"}
