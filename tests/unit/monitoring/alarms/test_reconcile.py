"""Reconciling findings with stored alarms: re-occurrence, closed alarms, idempotence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.alarms.models import Alarm, AlarmState
from monitoring.alarms.reconcile import reconcile
from monitoring.evaluation.models import Finding
from monitoring.storage.rules_memory import MemoryAlarmRepository, MemoryAuditLog

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def _f(start: datetime, end: datetime | None, truncated: bool = False) -> Finding:
    return Finding("control_stopped", "A1/C1", "E1", start, end, {"thresholds": {}}, {}, ("C1",), truncated=truncated)


def test_same_window_twice_writes_nothing_the_second_time() -> None:
    alarms, audit = MemoryAlarmRepository(), MemoryAuditLog()
    assert len(reconcile([_f(T, None)], {"control_stopped"}, "E1", T - 10 * M, T + 30 * M, alarms, audit)) == 1
    assert reconcile([_f(T, None)], {"control_stopped"}, "E1", T - 10 * M, T + 31 * M, alarms, audit) == []
    assert len(audit.for_alarm(alarms.list()[0].id)) == 1


def test_reoccurrence_while_open_adds_an_episode_to_the_same_alarm() -> None:
    alarms, audit = MemoryAlarmRepository(), MemoryAuditLog()
    reconcile([_f(T, T + 20 * M)], {"control_stopped"}, "E1", T - 10 * M, T + 30 * M, alarms, audit)
    reconcile([_f(T + 40 * M, None)], {"control_stopped"}, "E1", T + 30 * M, T + 60 * M, alarms, audit)
    (alarm,) = alarms.list()
    assert [e.start for e in alarm.episodes] == [T, T + 40 * M] and alarm.active
    assert [e.action for e in audit.for_alarm(alarm.id)] == ["raised", "episode_added", "reactivated"]


def test_closed_alarm_is_not_raised_again_for_the_episode_it_covered() -> None:
    alarms, audit = MemoryAlarmRepository(), MemoryAuditLog()
    (a,) = reconcile([_f(T, None)], {"control_stopped"}, "E1", T - 10 * M, T + 30 * M, alarms, audit)
    alarms.put(replace(a, state=AlarmState.CLOSED), expected_version=a.version)
    # the condition is still on: the continuing episode does not open a new alarm
    assert (
        reconcile(
            [_f(T + 20 * M, None, truncated=True)], {"control_stopped"}, "E1", T + 20 * M, T + 60 * M, alarms, audit
        )
        == []
    )
    # a separate, later episode does
    later = reconcile([_f(T + 3 * 60 * M, None)], {"control_stopped"}, "E1", T + 170 * M, T + 200 * M, alarms, audit)
    assert len(later) == 1 and later[0].id != a.id


class _IndexedAlarms(MemoryAlarmRepository):
    """Alarms whose open list can lag (as DynamoDB's index may) and whose pointer reads are counted."""

    def __init__(self) -> None:
        super().__init__()
        self.pointer_reads = 0
        self.frozen_list: list[Alarm] | None = None

    def _latest_id(self, subject: str, rule: str) -> str | None:
        self.pointer_reads += 1
        return super()._latest_id(subject, rule)

    def _open_alarms(self, enterprise_id: str) -> list[Alarm]:
        return list(self.frozen_list) if self.frozen_list is not None else super()._open_alarms(enterprise_id)


def test_an_alarm_on_the_open_list_is_reconciled_without_reading_its_pointer() -> None:
    alarms, audit = _IndexedAlarms(), MemoryAuditLog()
    reconcile([_f(T, None)], {"control_stopped"}, "E1", T - 10 * M, T + 30 * M, alarms, audit)
    alarms.pointer_reads = 0
    assert reconcile([_f(T, None)], {"control_stopped"}, "E1", T - 10 * M, T + 31 * M, alarms, audit) == []
    assert alarms.pointer_reads == 0


def test_an_open_list_behind_a_persons_close_is_not_trusted() -> None:
    alarms, audit = _IndexedAlarms(), MemoryAuditLog()
    (a,) = reconcile([_f(T, None)], {"control_stopped"}, "E1", T - 10 * M, T + 30 * M, alarms, audit)
    alarms.frozen_list = [a]  # the list still shows it open ...
    closed = alarms.put(replace(a, state=AlarmState.CLOSED), expected_version=a.version)  # ... after a person closed it
    # The continuing episode neither writes over the closed alarm with its old version nor opens a new alarm
    fs = [_f(T + 20 * M, None, truncated=True)]
    assert reconcile(fs, {"control_stopped"}, "E1", T + 20 * M, T + 60 * M, alarms, audit) == []
    assert alarms.get(a.id) == closed and alarms.pointer_reads >= 1
