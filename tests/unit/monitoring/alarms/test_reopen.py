"""Reopening a closed alarm (重新办理) and a branch taking an alarm on itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.alarms.listing import deadlines
from monitoring.alarms.models import Actor, ActorRole, Alarm, AlarmState, Cause, Episode
from monitoring.alarms.service import close, dispatch, reopen, respond, verify
from monitoring.errors import ConflictError, InvalidInputError
from monitoring.storage.rules_memory import MemoryAlarmRepository, MemoryAuditLog

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ENTERPRISE = Actor("u-ent", ActorRole.ENTERPRISE, "ip:198.51.100.7", enterprise_id="E1")
BUREAU = Actor("u-dqk", ActorRole.BUREAU, "ip:10.0.0.5")
BRANCH = Actor("u-zf1", ActorRole.BRANCH, "ip:10.0.0.9", branch="B1")
OTHER_BRANCH = Actor("u-zf2", ActorRole.BRANCH, "ip:10.0.0.10", branch="B2")


def _closed() -> tuple[MemoryAlarmRepository, MemoryAuditLog]:
    alarms, audit = MemoryAlarmRepository(), MemoryAuditLog()
    ep = Episode(T - timedelta(minutes=15), T, {}, {})
    alarms.put(
        Alarm("a1", "control_stopped", "A1/C1", "E1", "high", AlarmState.PENDING, (ep,), T, T), expected_version=None
    )
    respond(
        alarms, audit, "a1", cause=Cause.OTHER, text="检修", photos=[], actor=ENTERPRISE, now=T + timedelta(minutes=5)
    )
    dispatch(alarms, audit, "a1", branch="B1", actor=BRANCH, now=T + timedelta(hours=1))
    verify(alarms, audit, "a1", result="属实", photos=[], actor=BRANCH, now=T + timedelta(hours=2))
    close(alarms, audit, "a1", note="办结", actor=BRANCH, now=T + timedelta(hours=3))
    return alarms, audit


def test_reopen_sends_a_closed_alarm_back_to_investigation_with_a_new_limit() -> None:
    alarms, audit = _closed()
    at = T + timedelta(days=2)
    again = reopen(alarms, audit, "a1", reason="群众再次举报", branch="B1", actor=BUREAU, now=at)
    assert again.state == AlarmState.DISPATCHED and again.open
    assert again.dispatched_at == at and again.verification is None and again.closed_at is None
    assert again.response is not None  # the enterprise's answer stays
    assert deadlines(again) == {"investigation": at + timedelta(hours=24)}
    last = audit.for_alarm("a1")[-1]
    assert (last.action, last.from_state, last.to_state, last.detail["reason"]) == (
        "reopened",
        "closed",
        "dispatched",
        "群众再次举报",
    )


def test_reopen_needs_a_closed_alarm_a_reason_and_the_right_actor() -> None:
    alarms, audit = _closed()
    with pytest.raises(InvalidInputError):
        reopen(alarms, audit, "a1", reason=" ", branch="B1", actor=BUREAU, now=T + timedelta(days=1))
    with pytest.raises(ConflictError):
        reopen(alarms, audit, "a1", reason="x", branch="B1", actor=ENTERPRISE, now=T + timedelta(days=1))
    with pytest.raises(ConflictError):  # a branch reopens only to itself
        reopen(alarms, audit, "a1", reason="x", branch="B1", actor=OTHER_BRANCH, now=T + timedelta(days=1))
    reopen(alarms, audit, "a1", reason="x", branch="B2", actor=OTHER_BRANCH, now=T + timedelta(days=1))
    with pytest.raises(ConflictError):  # not closed any more
        reopen(alarms, audit, "a1", reason="x", branch="B1", actor=BUREAU, now=T + timedelta(days=1))


def test_reopen_refuses_when_a_newer_alarm_of_the_same_subject_and_rule_exists() -> None:
    alarms, audit = _closed()
    ep = Episode(T + timedelta(days=1), None, {}, {})
    newer = Alarm("a2", "control_stopped", "A1/C1", "E1", "high", AlarmState.PENDING, (ep,), T + timedelta(days=1), T)
    alarms.put(newer, expected_version=None)
    with pytest.raises(ConflictError):
        reopen(alarms, audit, "a1", reason="x", branch="B1", actor=BUREAU, now=T + timedelta(days=2))


def test_a_branch_dispatches_only_to_itself() -> None:
    alarms, audit = MemoryAlarmRepository(), MemoryAuditLog()
    alarms.put(Alarm("a1", "r", "s", "E1", "high", AlarmState.PENDING, (), T, T), expected_version=None)
    with pytest.raises(ConflictError):
        dispatch(alarms, audit, "a1", branch="B1", actor=OTHER_BRANCH, now=T)
    assert dispatch(alarms, audit, "a1", branch="B2", actor=OTHER_BRANCH, now=T).dispatched_to == "B2"


def test_a_stale_version_is_a_conflict_and_changes_nothing() -> None:
    alarms, audit = MemoryAlarmRepository(), MemoryAuditLog()
    stored = alarms.put(Alarm("a1", "r", "s", "E1", "high", AlarmState.PENDING, (), T, T), expected_version=None)
    with pytest.raises(ConflictError, match="请刷新后重试"):
        respond(alarms, audit, "a1", cause=Cause.OTHER, text="x", photos=[], actor=ENTERPRISE, now=T, version=9)
    assert alarms.get("a1") == stored and audit.for_alarm("a1") == []
    done = respond(
        alarms, audit, "a1", cause=Cause.OTHER, text="x", photos=[], actor=ENTERPRISE, now=T, version=stored.version
    )
    assert done.version == stored.version + 1
