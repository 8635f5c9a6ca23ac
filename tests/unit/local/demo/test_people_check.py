"""demo-check's judgement of the people: a step counts only when it happened through the API, by the planned
account, with the planned content, and only once it was due; the overrun must be escalated; the alert published
and ended as planned. The alarms are moved by the real workflow (monitoring.alarms.service) on a memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.demo.people_check import SLACK, StepCheck, check_people, people_summary
from local.demo.people_plan import AlertPlan, Behaviour, Path, PeoplePlan, branch_username
from monitoring.accounts.models import Role
from monitoring.accounts.service import create_account
from monitoring.alarms import service
from monitoring.alarms.models import Actor, ActorRole, Alarm, AlarmState, Cause, Episode
from monitoring.emergency.models import EmergencyAlert, Level
from monitoring.registry.models import Branch, County, Enterprise, EnterpriseCategory, Town
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store
from tests.support.api import FAST_HASHER

pytestmark = pytest.mark.unit
CREATED = datetime(2026, 11, 30, 0, 40, tzinfo=UTC)
VIA_API = "ip:127.0.0.1 via web"
ALERT = AlertPlan(
    "demo-alert-1",
    "orange",
    "演示预警",
    CREATED - timedelta(minutes=15),
    CREATED + timedelta(hours=6),
    CREATED + timedelta(minutes=30),
)


def _behaviour(path: Path) -> Behaviour:
    return Behaviour(
        "RG001", "e1", "power_loss", path, 20, 10, 15, 5, "equipment_fault", "风机故障。", "属实。", "办结。"
    )


def _store() -> tuple[Store, dict[str, str]]:
    store = memory_store()
    store.registry.put_county(County("rugao", "如皋市"))
    store.registry.put_town(Town("t1", "rugao", "城南街道"))
    store.registry.put_branch(Branch("b1", "rugao", "一分局"))
    store.registry.put_enterprise(Enterprise("e1", "rugao", "企业1", "t1", "b1", EnterpriseCategory.AIR_CONTROL))
    now = datetime.now(UTC)
    ids = {}
    for username, role, extra in (
        ("people_ent_RG001", Role.ENTERPRISE, {"enterprise_ids": ("e1",)}),
        (branch_username("b1"), Role.BRANCH, {"branch_id": "b1"}),
        ("demo_emergency", Role.EMERGENCY, {}),
    ):
        made = create_account(
            store.accounts, now, username=username, display_name=f"演示{role.value}", role=role, county_id="rugao",
            password="Passw0rd-demo", hasher=FAST_HASHER, **extra,
        )  # fmt: skip
        ids[username] = made.id
    store.alarms.put(
        Alarm("a1", "power_loss", "terminal:T1", "e1", "high", AlarmState.PENDING,
              (Episode(CREATED - timedelta(minutes=8), None, {}, {}),), CREATED, CREATED),
        expected_version=None,
    )  # fmt: skip
    return store, ids


def _enterprise(ids: dict[str, str], source: str = VIA_API) -> Actor:
    return Actor(ids["people_ent_RG001"], ActorRole.ENTERPRISE, source, enterprise_id="e1")


def _branch(ids: dict[str, str], source: str = VIA_API) -> Actor:
    return Actor(ids[branch_username("b1")], ActorRole.BRANCH, source, branch="b1")


def _judge(store: Store, path: Path, at: datetime) -> list[StepCheck]:
    return check_people(store, PeoplePlan(1, (_behaviour(path),), ALERT), at, emergency="demo_emergency")


def _alarm(store: Store) -> Alarm:
    return store.alarms.get("a1")


def _respond(store: Store, actor: Actor, at: datetime, cause: Cause = Cause.EQUIPMENT_FAULT) -> None:
    service.respond(store.alarms, store.audit, "a1", cause=cause, text="风机故障。", photos=(), actor=actor, now=at)


def test_nothing_is_judged_before_it_is_due() -> None:
    store, _ = _store()
    steps = _judge(store, Path.RESPOND, CREATED + timedelta(minutes=20) + SLACK - timedelta(seconds=1))
    assert [s for s in steps if "RG001" in s.what] == []


def test_a_response_counts_when_made_through_the_api_by_the_enterprise_with_the_planned_cause() -> None:
    store, ids = _store()
    due = CREATED + timedelta(minutes=20) + SLACK
    assert not _judge(store, Path.RESPOND, due)[-1].met  # not responded
    _respond(store, _enterprise(ids), CREATED + timedelta(minutes=21))
    assert _judge(store, Path.RESPOND, due)[-1].met
    other, ids2 = _store()
    _respond(other, _enterprise(ids2), CREATED + timedelta(minutes=21), cause=Cause.POWER_CUT)
    assert not _judge(other, Path.RESPOND, due)[-1].met  # not the planned cause
    direct, ids3 = _store()
    _respond(direct, _enterprise(ids3, source="cli"), CREATED + timedelta(minutes=21))
    assert not _judge(direct, Path.RESPOND, due)[-1].met  # not through the API


def test_the_branch_takes_dispatches_verifies_and_closes() -> None:
    store, ids = _store()
    at = CREATED + timedelta(minutes=10)
    service.dispatch(store.alarms, store.audit, "a1", branch="b1", actor=_branch(ids), now=at)
    at += timedelta(minutes=15)
    service.verify(store.alarms, store.audit, "a1", result="属实。", photos=(), actor=_branch(ids), now=at)
    steps = _judge(store, Path.BRANCH_TAKES, at + timedelta(minutes=5) + SLACK)
    whats = [s.what.split(": ")[-1] for s in steps if "RG001" in s.what]
    assert whats == ["分局派发", "分局核查", "办结"]
    assert [s.met for s in steps if "RG001" in s.what] == [True, True, False]  # not closed yet
    service.close(store.alarms, store.audit, "a1", note="办结。", actor=_branch(ids), now=at + timedelta(minutes=5))
    ok, lines = people_summary(_judge(store, Path.BRANCH_TAKES, at + timedelta(minutes=5) + SLACK))
    assert not ok and any("发布" in line and "✗" in line for line in lines)  # the alert was never published
    assert all("✓" in line for line in lines if "RG001" in line)


def test_the_overrun_is_escalated_by_the_platform_and_never_answered() -> None:
    store, _ = _store()
    escalate_due = CREATED + timedelta(hours=2, minutes=5) + SLACK
    steps = _judge(store, Path.OVERRUN, escalate_due)
    assert [s.met for s in steps if "RG001" in s.what] == [True, False]  # unanswered, but not escalated
    service.escalate(store.alarms, store.audit, CREATED + timedelta(hours=2, minutes=1), lambda _: "b1")
    assert _alarm(store).state is AlarmState.DISPATCHED
    assert all(s.met for s in _judge(store, Path.OVERRUN, escalate_due) if "RG001" in s.what)


def test_the_alert_must_be_published_by_the_emergency_section_and_ended_as_planned() -> None:
    store, _ = _store()
    after = ALERT.end_at + SLACK
    assert [s.met for s in _judge(store, Path.RESPOND, ALERT.publish_at + SLACK)][:1] == [False]
    alert = EmergencyAlert(
        ALERT.alert_id, Level.ORANGE, ALERT.publish_at, ALERT.planned_end, declared_by="演示emergency"
    )
    store.emergency.put_alert(alert)
    assert [s.met for s in _judge(store, Path.RESPOND, after)][:2] == [True, False]  # published, not ended
    store.emergency.put_alert(
        EmergencyAlert(alert.id, alert.level, alert.start, ALERT.end_at, declared_by=alert.declared_by)
    )
    assert [s.met for s in _judge(store, Path.RESPOND, after)][:2] == [True, True]
    store.emergency.put_alert(EmergencyAlert(alert.id, alert.level, alert.start, ALERT.end_at, declared_by="别人"))
    assert not _judge(store, Path.RESPOND, after)[0].met  # someone else published it
