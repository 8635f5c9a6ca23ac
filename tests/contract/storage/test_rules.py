"""Contract suite of the rules-area repositories of every store (alarms, audit, rule state, reports, emergency)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitoring.alarms.models import Alarm, AlarmState, AuditEntry, Cause, Episode, Reminder, Response
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder, Level, LevelMeasures
from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.reports.models import Decision, FaultKind, FaultReport, StoppageKind, StoppageRequest
from monitoring.storage.ports import Store

pytestmark = pytest.mark.contract
T = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.fixture
def rules(store: Store) -> Store:
    """The store of each adapter in the suite's list (conftest.ADAPTERS): the rules repositories are part of it."""
    return store


def _alarm(aid: str = "a1", subject: str = "A1/C1", at: datetime = T) -> Alarm:
    ep = Episode(
        at,
        None,
        {"thresholds": {"min_duration_min": 10}, "readings": {"C1": [{"p": 0.0}]}},
        {"C1": {"known_share": 1.0}},
        False,
        ("stoppage:S1",),
    )
    return Alarm(aid, "control_stopped", subject, "E1", "high", AlarmState.PENDING, (ep,), at, at, ("P1", "C1"))


def test_alarm_put_get_roundtrip_increments_version(rules: Any) -> None:
    stored = rules.alarms.put(_alarm(), expected_version=None)
    assert stored.version == 1
    got = rules.alarms.get("a1")
    assert got == stored
    resp = Response(Cause.MAINTENANCE, "检修", ("s3://x/1.jpg",), "u1", T + timedelta(hours=1))
    updated = rules.alarms.put(
        replace(
            got, state=AlarmState.RESPONDED, response=resp, reminders=(Reminder(T, "enterprise", "response_overdue"),)
        ),
        expected_version=1,
    )
    assert updated.version == 2 and rules.alarms.get("a1") == updated


def test_alarm_stale_version_conflicts(rules: Any) -> None:
    rules.alarms.put(_alarm(), expected_version=None)
    with pytest.raises(ConflictError):
        rules.alarms.put(_alarm(), expected_version=7)
    with pytest.raises(ConflictError):
        rules.alarms.put(_alarm(), expected_version=None)


def test_only_one_open_alarm_per_subject_and_rule(rules: Any) -> None:
    first = rules.alarms.put(_alarm("a1"), expected_version=None)
    with pytest.raises(ConflictError):
        rules.alarms.put(_alarm("a2"), expected_version=None)
    rules.alarms.put(replace(first, state=AlarmState.CLOSED), expected_version=first.version)
    rules.alarms.put(_alarm("a2", at=T + timedelta(hours=1)), expected_version=None)
    latest = rules.alarms.latest("A1/C1", "control_stopped")
    assert latest is not None and latest.id == "a2"
    assert [a.id for a in rules.alarms.open_for_enterprise("E1")] == ["a2"]


def test_only_the_latest_alarm_of_a_subject_and_rule_may_reopen(rules: Any) -> None:
    # Given a1 raised and closed, then a2 raised and closed for the same (subject, rule)
    a1 = rules.alarms.put(_alarm("a1"), expected_version=None)
    a1 = rules.alarms.put(replace(a1, state=AlarmState.CLOSED), expected_version=a1.version)
    a2 = rules.alarms.put(_alarm("a2", at=T + timedelta(hours=1)), expected_version=None)
    rules.alarms.put(replace(a2, state=AlarmState.CLOSED), expected_version=a2.version)
    # When the older one is put back open, every backend refuses: a new a3 could otherwise open beside it
    with pytest.raises(ConflictError):
        rules.alarms.put(replace(a1, state=AlarmState.PENDING), expected_version=a1.version)
    assert rules.alarms.get("a1").state is AlarmState.CLOSED and rules.alarms.open_for_enterprise("E1") == []
    # while the older one may still change without opening
    rules.alarms.put(replace(a1, close_note="复核"), expected_version=a1.version)


def test_open_alarms_of_an_enterprise_come_oldest_first(rules: Any) -> None:
    rules.alarms.put(_alarm("b", "S2", T + timedelta(hours=1)), expected_version=None)
    rules.alarms.put(_alarm("a", "S1", T + timedelta(hours=2)), expected_version=None)
    rules.alarms.put(_alarm("c", "S3", T), expected_version=None)
    assert [a.id for a in rules.alarms.open_for_enterprise("E1")] == ["c", "b", "a"]


def test_alarm_list_limit_is_newest_first_and_must_be_positive(rules: Any) -> None:
    for i in range(4):
        rules.alarms.put(_alarm(f"a{i}", f"S{i}", T + timedelta(minutes=i)), expected_version=None)
    assert [a.id for a in rules.alarms.list(limit=2)] == ["a3", "a2"]
    assert [a.id for a in rules.alarms.list(states=[AlarmState.PENDING], limit=3)] == ["a3", "a2", "a1"]
    with pytest.raises(InvalidInputError):
        rules.alarms.list(limit=0)


def test_alarm_list_filters_by_state_enterprise_and_time(rules: Any) -> None:
    rules.alarms.put(_alarm("a1", "S1", T), expected_version=None)
    rules.alarms.put(_alarm("a2", "S2", T + timedelta(hours=2)), expected_version=None)
    assert [a.id for a in rules.alarms.list()] == ["a2", "a1"]
    assert [a.id for a in rules.alarms.list(since=T + timedelta(hours=1))] == ["a2"]
    assert [a.id for a in rules.alarms.list(until=T + timedelta(hours=1))] == ["a1"]
    assert rules.alarms.list(states=[AlarmState.CLOSED]) == []
    assert rules.alarms.list(enterprise_id="E9") == []
    assert len(rules.alarms.list(limit=1)) == 1


def test_missing_alarm_is_not_found(rules: Any) -> None:
    with pytest.raises(NotFoundError):
        rules.alarms.get("nope")
    assert rules.alarms.latest("x", "y") is None


def test_audit_keeps_order_per_alarm(rules: Any) -> None:
    for i, action in enumerate(("raised", "responded", "dispatched")):
        rules.audit.append(
            AuditEntry(
                "a1", T + timedelta(minutes=i), "u", "enterprise", "ip:1.2.3.4", action, None, "pending", {"n": i}
            )
        )
    rules.audit.append(AuditEntry("a2", T, "system", "system", "", "raised", None, "pending"))
    trail = rules.audit.for_alarm("a1")
    assert [e.action for e in trail] == ["raised", "responded", "dispatched"] and trail[2].detail == {"n": 2}


def test_rule_state_documents_are_dicts_under_a_key(rules: Any) -> None:
    with pytest.raises(InvalidInputError):
        rules.rule_state.put("", {"x": 1})
    with pytest.raises(InvalidInputError):
        rules.rule_state.put("ent:E1", ["not", "a", "document"])
    assert rules.rule_state.keys("") == []


def test_rule_state_put_get_keys_delete(rules: Any) -> None:
    rules.rule_state.put("ent:E1", {"evaluated_until": T.isoformat(), "nested": {"a": [1, 2]}})
    rules.rule_state.put("ent:E2", {"x": 1})
    rules.rule_state.put("tick", {})
    assert rules.rule_state.get("ent:E1") == {"evaluated_until": T.isoformat(), "nested": {"a": [1, 2]}}
    assert rules.rule_state.keys("ent:") == ["ent:E1", "ent:E2"]
    rules.rule_state.delete("ent:E2")
    rules.rule_state.delete("absent")
    assert rules.rule_state.get("ent:E2") is None and rules.rule_state.keys("ent:") == ["ent:E1"]


def test_rule_state_documents_by_prefix_in_key_order(rules: Any) -> None:
    rules.rule_state.put("backfill:20261123T0102:P2", {"point": "P2"})
    rules.rule_state.put("backfill:20261123T0101:P1", {"point": "P1", "nested": {"a": [1]}})
    rules.rule_state.put("backfills", {"not": "under the prefix"})
    rules.rule_state.put("ent:E1", {"x": 1})
    found = rules.rule_state.documents("backfill:")
    assert list(found) == ["backfill:20261123T0101:P1", "backfill:20261123T0102:P2"]
    assert found["backfill:20261123T0101:P1"] == {"point": "P1", "nested": {"a": [1]}}
    found["backfill:20261123T0102:P2"]["point"] = "changed by the caller"  # a copy: the store keeps its own
    # From a key on: only that range is read (notes since the last tick, not the day's)
    assert list(rules.rule_state.documents("backfill:", "20261123T0102")) == ["backfill:20261123T0102:P2"]
    assert list(rules.rule_state.documents("backfill:", "20261123T0101:P1")) == list(found)
    assert rules.rule_state.documents("backfill:", "20261123T0103") == {}
    rules.rule_state.delete("backfill:20261123T0101:P1")
    assert rules.rule_state.documents("backfill:") == {"backfill:20261123T0102:P2": {"point": "P2"}}
    assert rules.rule_state.documents("nothing:") == {}


def test_the_listeners_put_notes_are_rule_state_like_any_other(rules: Any) -> None:
    # (on DynamoDB in a partition of their own, which the listener's task role may write: no other rule state)
    rules.rule_state.put("put:task-1", {"noted_at": 1.0})
    rules.rule_state.put("put:task-2", {"noted_at": 2.0})
    rules.rule_state.put("puts", {"not": "a note"})
    assert rules.rule_state.get("put:task-1") == {"noted_at": 1.0}
    assert rules.rule_state.keys("put:") == ["put:task-1", "put:task-2"]
    assert list(rules.rule_state.documents("put:", "task-2")) == ["put:task-2"]
    rules.rule_state.delete("put:task-1")
    assert rules.rule_state.documents("put:") == {"put:task-2": {"noted_at": 2.0}}
    assert rules.rule_state.get("puts") == {"not": "a note"}


def test_reports_roundtrip_and_order(rules: Any) -> None:
    f = FaultReport(
        "F1", "E1", FaultKind.CONTROL_EQUIPMENT, ("C1",), T, T + timedelta(minutes=30), "u", "故障", ("p.jpg",)
    )
    rules.reports.put_fault(f)
    rules.reports.put_fault(replace(f, resolved_at=T + timedelta(hours=3)))
    assert rules.reports.get_fault("F1").resolved_at == T + timedelta(hours=3)
    s1 = StoppageRequest(
        "S1", "E1", StoppageKind.CONTROL_STOP, ("C1",), T, T + timedelta(hours=4), "检修", T - timedelta(days=1), "u"
    )
    s2 = replace(s1, id="S2", filed_at=T - timedelta(days=2), decision=Decision.APPROVED, decided_at=T, decided_by="b")
    rules.reports.put_stoppage(s1)
    rules.reports.put_stoppage(s2)
    assert [s.id for s in rules.reports.stoppages_for("E1")] == ["S2", "S1"]
    assert rules.reports.get_stoppage("S2") == s2
    assert rules.reports.faults_for("E2") == []
    with pytest.raises(NotFoundError):
        rules.reports.get_stoppage("S9")


def test_emergency_alerts_measures_halts(rules: Any) -> None:
    a = EmergencyAlert("A1", Level.RED, T, T + timedelta(days=2), "红色预警", frozenset({"E1"}), None, "应急科")
    rules.emergency.put_alert(a)
    assert rules.emergency.get_alert("A1") == a
    assert rules.emergency.alerts_between(T + timedelta(days=1), T + timedelta(days=3)) == [a]
    assert rules.emergency.alerts_between(T + timedelta(days=2), T + timedelta(days=3)) == []
    m = EnterpriseMeasures("E1", {Level.RED: LevelMeasures(("P1",), 0.5, ((22, 24),))})
    rules.emergency.put_measures(m)
    assert rules.emergency.measures() == {"E1": m}
    h = HaltOrder("H1", "E1", T, None, "停产整治")
    rules.emergency.put_halt(h)
    assert rules.emergency.halts_between(T + timedelta(days=30), T + timedelta(days=31)) == [h]


def test_report_replace_only_if_unchanged(rules: Any) -> None:
    """Two people deciding the same request at once: the second write finds the record changed and loses."""
    req = StoppageRequest("S1", "E1", StoppageKind.CONTROL_STOP, ("C1",), T, T + timedelta(hours=8), "检修", T, "u1")
    rules.reports.put_stoppage(req)
    yes = replace(req, decision=Decision.APPROVED, decided_by="branch-a")
    rules.reports.replace_stoppage(yes, expected=req)
    with pytest.raises(ConflictError):
        rules.reports.replace_stoppage(replace(req, decision=Decision.REJECTED, decided_by="branch-b"), expected=req)
    assert rules.reports.get_stoppage("S1") == yes
    fault = FaultReport("F1", "E1", FaultKind.MONITORING, ("P1",), T, T, "u1", "断电")
    rules.reports.put_fault(fault)
    seen = replace(fault, acknowledged_by="b")
    rules.reports.replace_fault(seen, expected=fault)
    with pytest.raises(ConflictError):
        rules.reports.replace_fault(replace(fault, resolved_at=T), expected=fault)
    with pytest.raises(ConflictError):  # absent
        rules.reports.replace_fault(replace(fault, id="F9"), expected=replace(fault, id="F9"))
    assert rules.reports.get_fault("F1") == seen


def test_reports_newest_first_streams_by_scope_and_position(rules: Any) -> None:
    for i, eid in enumerate(["E1", "E2", "E1", "E3", "E2"]):
        at = T + timedelta(minutes=10 * i)
        rules.reports.put_fault(FaultReport(f"F{i}", eid, FaultKind.MONITORING, ("P1",), at, at, "u", "x"))
        rules.reports.put_stoppage(
            StoppageRequest(f"S{i}", eid, StoppageKind.CONTROL_STOP, ("C1",), at, at + timedelta(hours=1), "r", at, "u")
        )
    assert [f.id for f in rules.reports.recent_faults(None)] == ["F4", "F3", "F2", "F1", "F0"]
    assert [f.id for f in rules.reports.recent_faults(frozenset({"E1", "E2"}))] == ["F4", "F2", "F1", "F0"]
    many = frozenset({"E1", *(f"X{i}" for i in range(30))})  # DynamoDB: the county index, not per enterprise
    assert [f.id for f in rules.reports.recent_faults(many)] == ["F2", "F0"]
    after_f2 = (((T + timedelta(minutes=20)).astimezone(UTC)).isoformat(), "F2")
    assert [f.id for f in rules.reports.recent_faults(None, before=after_f2)] == ["F1", "F0"]
    assert [s.id for s in rules.reports.recent_stoppages(frozenset({"E2"}), before=after_f2)] == ["S1"]
    assert list(rules.reports.recent_stoppages(frozenset())) == []
