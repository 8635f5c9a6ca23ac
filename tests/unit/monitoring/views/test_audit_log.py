"""The audit log view: window bounds, filters, scope, cursor, and one alarm's own audit beside the trail."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.alarms.models import Alarm, AlarmState, AuditEntry, Episode
from monitoring.audit.models import AuditRecord
from monitoring.errors import InvalidInputError
from monitoring.storage.ports import Store
from monitoring.views.audit_log import AuditFilter, audit_log
from tests.unit.monitoring.views.world import NOW, world

pytestmark = pytest.mark.unit


def _record(
    n: int,
    enterprise_id: str | None,
    action: str = "enterprises.edit",
    object_type: str = "enterprise",
    object_id: str = "",
) -> AuditRecord:
    at = NOW - timedelta(hours=n)
    target = object_id or enterprise_id or "x"
    return AuditRecord(at, f"acc{n % 2}", "air", "127.0.0.1", "web", action, object_type, target, enterprise_id)


def _store() -> Store:
    s = world()
    for n in range(6):
        s.audit_trail.append(_record(n, "e1" if n % 2 == 0 else "e2"))
    s.audit_trail.append(_record(200, "e1"))  # 200 h ago: outside the default week
    ep = Episode(NOW - timedelta(hours=3), None, {}, {})
    alarm = Alarm("al1", "control_stopped", "assoc:a1", "e1", "high", AlarmState.PENDING, (ep,), NOW, NOW)
    s.alarms.put(alarm, expected_version=None)
    s.audit.append(AuditEntry("al1", NOW, "engine", "system", "scheduler", "opened", None, "pending"))
    s.audit_trail.append(_record(1, "e1", action="alarms.respond", object_type="alarm", object_id="al1"))
    return s


def test_default_window_is_the_last_week_newest_first() -> None:
    page = audit_log(_store(), AuditFilter(), visible=None, now=NOW)
    assert [round((NOW - r.at).total_seconds() / 3600) for r in page.records] == [0, 1, 1, 2, 3, 4, 5]
    assert page.until - page.since == timedelta(days=7) and page.alarm_entries is None and page.until > NOW


def test_filters_and_scope() -> None:
    s = _store()
    assert {r.enterprise_id for r in audit_log(s, AuditFilter(enterprise_id="e2"), visible=None, now=NOW).records} == {
        "e2"
    }
    assert {r.enterprise_id for r in audit_log(s, AuditFilter(), visible=frozenset({"e1"}), now=NOW).records} == {"e1"}
    assert audit_log(s, AuditFilter(enterprise_id="e2"), visible=frozenset({"e1"}), now=NOW).records == []
    assert {r.actor_id for r in audit_log(s, AuditFilter(actor_id="acc1"), visible=None, now=NOW).records} == {"acc1"}


def test_one_alarm_brings_its_own_audit() -> None:
    page = audit_log(_store(), AuditFilter(object_type="alarm", object_id="al1"), visible=None, now=NOW)
    assert [r.action for r in page.records] == ["alarms.respond"]
    assert page.alarm_entries is not None and [e.action for e in page.alarm_entries] == ["opened"]
    hidden = audit_log(_store(), AuditFilter(object_type="alarm", object_id="al1"), visible=frozenset({"e2"}), now=NOW)
    assert hidden.alarm_entries == [] and hidden.records == []


def test_cursor_pages_and_bad_input_is_refused() -> None:
    s = _store()
    first = audit_log(s, AuditFilter(), visible=None, now=NOW, limit=4)
    rest = audit_log(s, AuditFilter(), visible=None, now=NOW, limit=4, cursor=first.next_cursor)
    assert len(first.records) == 4 and len(rest.records) == 3 and rest.next_cursor is None
    assert not {r.record_id for r in first.records} & {r.record_id for r in rest.records}
    with pytest.raises(InvalidInputError, match="游标"):
        audit_log(s, AuditFilter(), visible=None, now=NOW, cursor="!!not-a-cursor!!")
    with pytest.raises(InvalidInputError):
        audit_log(s, AuditFilter(since=NOW - timedelta(days=400)), visible=None, now=NOW)
    with pytest.raises(InvalidInputError):
        audit_log(s, AuditFilter(since=NOW, until=NOW - timedelta(hours=1)), visible=None, now=NOW)
    with pytest.raises(InvalidInputError):
        audit_log(s, AuditFilter(actor_id="x' OR 1=1"), visible=None, now=NOW)
