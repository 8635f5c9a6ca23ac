"""Deciding from alarms with the shipped routing table: the issue's defaults (who hears what), one recipient per
person, recipients without a channel recorded as unreachable, quiet hours for low severity only, overrides per
enterprise, reminders only to their own audience, emergency measures per enterprise, idempotent passes."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from monitoring.alarms.models import AlarmState, Cause, Reminder, Response
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, Level, LevelMeasures
from monitoring.notify.models import Status
from monitoring.notify.ports import ChannelKind
from monitoring.notify.routing import RoutingTable
from monitoring.notify.service import NotifyService, unreachable
from monitoring.registry.models import Branch, Contact, ContactRole, County, Enterprise, EnterpriseCategory, Town
from tests.unit.monitoring.notify.world import COUNTY, T0, alarm, world


def _who(notifications: list) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(n.recipient_id, n.kind.value) for n in notifications if n.status is Status.QUEUED}


def test_alarm_raised_reaches_the_enterprise_by_sms_and_subscribe_message() -> None:
    service = NotifyService(world(), COUNTY)
    out = service.decide_alarms([alarm()], T0 + timedelta(seconds=5))
    assert _who(out) == {
        ("account:ent1", "sms"),  # 王经理 (contact) and account ent1 share a phone: one person
        ("account:ent1", "wechat_subscribe"),  # the contact's openid carried over
        ("contact:E1:1", "sms"),
    }
    unreachable = [n for n in out if n.status is Status.UNREACHABLE]
    assert [(n.recipient_name, n.error) for n in unreachable] == [("赵主任", "no_channel")]
    sms = next(n for n in out if n.kind is ChannelKind.SMS)
    assert sms.params["enterprise"] == "如皋某化工" and sms.params["rule"].startswith("治污设施停运")
    assert sms.params["time"] == "2026-12-01 10:00" and sms.alarm_id == "A1"
    # the coalescing window: alarms of one enterprise raised together leave together
    assert sms.not_before == T0 + timedelta(seconds=10) and sms.group == "alarm_raised:E1"


def test_deciding_twice_stores_nothing_twice() -> None:
    store = world()
    first = NotifyService(store, COUNTY).decide_alarms([alarm()], T0)
    again = NotifyService(store, COUNTY).decide_alarms([alarm()], T0 + timedelta(minutes=1))  # a fresh process
    assert first and again == []


def test_terminal_offline_also_reaches_the_installer_and_emergency_violation_the_branch() -> None:
    service = NotifyService(world(), COUNTY)
    offline = service.decide_alarms([alarm("A2", rule="terminal_offline", severity="medium")], T0)
    assert ("account:inst1", "sms") in _who(offline)
    curtail = service.decide_alarms([alarm("A3", rule="emergency_violation")], T0)
    assert {("account:br1", "sms"), ("account:br1", "wechat_subscribe")} <= _who(curtail)
    assert ("account:inst1", "sms") not in _who(curtail)


def test_low_severity_waits_for_the_end_of_quiet_hours_high_does_not() -> None:
    night = T0 + timedelta(hours=13)  # 23:00 Beijing
    service = NotifyService(world(), COUNTY)
    low = service.decide_alarms([alarm("L1", rule="circuit_over_voltage", severity="low", created_at=night)], night)
    high = service.decide_alarms([alarm("H1", created_at=night)], night)
    morning = T0 + timedelta(hours=21)  # 07:00 Beijing the next day
    assert {n.not_before for n in low if n.status is Status.QUEUED} == {morning}
    assert {n.not_before for n in high if n.status is Status.QUEUED} == {night + timedelta(seconds=10)}


def test_reminders_reach_only_their_audience_and_dispatch_reaches_the_branch() -> None:
    at = T0 + timedelta(hours=2, minutes=5)
    escalated = alarm(
        state=AlarmState.DISPATCHED,
        dispatched_to="B1",
        dispatched_at=at,
        reminders=(
            Reminder(at, "enterprise", "response_overdue"),
            Reminder(at, "emergency_section", "response_overdue"),  # the route leaves 应急科 out of this one
            Reminder(at, "branch", "response_overdue"),
        ),
        version=2,
    )
    out = NotifyService(world(), COUNTY).decide_alarms([escalated], at)
    reminder_to = {n.recipient_id for n in out if "reminder" in n.event_id and n.status is Status.QUEUED}
    assert "account:em1" not in reminder_to
    assert {"account:ent1", "contact:E1:1", "account:br1"} <= reminder_to
    dispatched_to = {n.recipient_id for n in out if n.event_kind == "dispatched" and n.status is Status.QUEUED}
    assert dispatched_to == {"account:br1"}
    assert any(n.recipient_id == "account:br2" and n.status is Status.UNREACHABLE for n in out)


def test_an_enterprise_override_wins_over_the_defaults() -> None:
    data = RoutingTable.load()
    raw: dict[str, Any] = {
        "routes": [dataclasses.asdict(r) for r in data.defaults],
        "overrides": {
            "enterprise:E1": [
                {
                    "event": "alarm_raised",
                    "audiences": ["town_officials"],
                    "channels": ["sms"],
                    "template": "alarm_raised",
                }
            ]
        },
    }
    for r in raw["routes"]:
        r["channels"] = [c.value for c in r["channels"]]
    service = NotifyService(world(), COUNTY, routes=RoutingTable(raw))
    assert _who(service.decide_alarms([alarm()], T0)) == {("account:town1", "sms")}
    assert ("contact:E1:1", "sms") not in _who(service.decide_alarms([alarm("A9", enterprise="E2")], T0))


def test_emergency_alert_tells_each_enterprise_its_own_measures() -> None:
    store = world()
    store.emergency.put_measures(
        EnterpriseMeasures("E1", {Level.ORANGE: LevelMeasures(stop_points=("P1", "P2"), energy_share=0.5)})
    )
    store.emergency.put_alert(EmergencyAlert("EM1", Level.ORANGE, T0 + timedelta(hours=2), T0 + timedelta(days=2)))
    out = NotifyService(store, COUNTY).decide_emergency(T0)
    e1 = next(n for n in out if n.enterprise_id == "E1" and n.kind is ChannelKind.SMS)
    assert e1.params["measures"] == "停2条线，用电≤基线50%" and e1.params["level"] == "橙色"
    assert e1.event_kind == "emergency_published"
    ended = NotifyService(store, COUNTY).decide_emergency(T0 + timedelta(days=2, minutes=1))
    assert {n.event_kind for n in ended} == {"emergency_ended"}


def test_emergency_measures_with_lines_share_and_two_windows_are_not_cut() -> None:
    # Given the longest usual measures: lines to stop, an energy share and two 错峰 windows
    store = world()
    busy = LevelMeasures(stop_points=("P1", "P2", "P3"), energy_share=0.3, forbidden_hours=((0, 6), (20, 24)))
    store.emergency.put_measures(EnterpriseMeasures("E1", {Level.RED: busy}))
    store.emergency.put_alert(EmergencyAlert("EM1", Level.RED, T0 + timedelta(hours=2), T0 + timedelta(days=2)))
    out = NotifyService(store, COUNTY).decide_emergency(T0)
    sms = next(n for n in out if n.enterprise_id == "E1" and n.kind is ChannelKind.SMS)
    # Then the SMS carries every measure whole (the variable may hold 35 characters), nothing ends in "…"
    assert sms.params["measures"] == "停3条线，用电≤基线30%，0-6、20-24时停产"
    assert "…" not in sms.text and "0-6、20-24时停产" in sms.text
    # And WeChat (thing ≤ 20) gets a brief that points at the emergency page, also uncut
    wechat = [n for n in out if n.enterprise_id == "E1" and n.kind is ChannelKind.WECHAT_SUBSCRIBE]
    assert wechat
    for n in wechat:
        assert n.params["thing4"] == "停3条线等，详见小程序" and "emergency" in n.page


def test_daily_digest_goes_once_a_day_after_the_hour_to_town_and_branch() -> None:
    store = world()
    store.alarms.put(alarm(), expected_version=None)
    service = NotifyService(store, COUNTY)
    assert service.decide_digest(T0 - timedelta(hours=3)) == []  # 07:00 Beijing: before the digest hour
    next_day = T0 + timedelta(days=1)
    out = service.decide_digest(next_day)
    sms = {n.recipient_id: n for n in out if n.status is Status.QUEUED}
    assert set(sms) == {"account:town1", "account:br1"}
    assert sms["account:br1"].params["new"] == "1" and sms["account:br1"].params["open"] == "1"
    assert service.decide_digest(next_day + timedelta(hours=1)) == []


def test_unreachable_lists_people_without_any_channel() -> None:
    found = NotifyService(world(), COUNTY).unreachable()
    assert {(u.kind, u.name) for u in found} == {("contact", "赵主任"), ("account", "用户br2")}


def test_a_retracted_alarm_cancels_what_is_still_queued_and_a_response_cancels_its_reminder() -> None:
    store = world()
    service = NotifyService(store, COUNTY)
    queued = [n for n in service.decide_alarms([alarm()], T0) if n.status is Status.QUEUED]
    retracted = alarm(state=AlarmState.RETRACTED, version=2)
    assert service.decide_alarms([retracted], T0 + timedelta(seconds=5)) == []
    after = [store.outbox.get(n.key) for n in queued]
    assert {n.status for n in after} == {Status.CANCELLED} and after[0].error == "retracted"
    assert store.outbox.due(T0 + timedelta(days=1)) == []  # nothing left to send

    at = T0 + timedelta(hours=2, minutes=5)
    late = alarm("A7", reminders=(Reminder(at, "enterprise", "response_overdue"),), version=2)
    decided = service.decide_alarms([late], at)
    reminders = [n for n in decided if n.event_kind == "response_overdue" and n.status is Status.QUEUED]
    assert reminders
    answered = dataclasses.replace(
        late,
        state=AlarmState.RESPONDED,
        response=Response(Cause.MAINTENANCE, "检修", (), "ent1", at + timedelta(seconds=1)),
        version=3,
    )
    service.decide_alarms([answered], at + timedelta(seconds=2))
    assert {store.outbox.get(n.key).status for n in reminders} == {Status.CANCELLED}
    raised = [store.outbox.get(n.key) for n in store.outbox.for_alarm("A7") if n.event_kind == "alarm_raised"]
    assert {n.status for n in raised} == {Status.QUEUED, Status.UNREACHABLE}  # the alarm itself still goes


def test_an_emergency_alert_reaches_only_its_own_countys_enterprises() -> None:
    store = world()
    other = "320681"  # a second county in the same deployment (AWS serves several)
    store.registry.put_county(County(other, "海安市"))
    store.registry.put_town(Town("T9", other, "城东镇"))
    store.registry.put_branch(Branch("B9", other, "海安执法局"))
    contact = (Contact("周经理", ContactRole.ENVIRONMENT_MANAGER, phone="13500000009"),)
    store.registry.put_enterprise(
        Enterprise("E9", other, "海安某厂", "T9", "B9", EnterpriseCategory.AIR_CONTROL, contacts=contact)
    )
    start, end = T0 + timedelta(hours=2), T0 + timedelta(days=2)
    store.emergency.put_alert(EmergencyAlert("RG", Level.ORANGE, start, end, county_id=COUNTY))
    store.emergency.put_alert(EmergencyAlert("HA", Level.RED, start, end, county_id=other))
    store.emergency.put_alert(EmergencyAlert("OLD", Level.YELLOW, start, end))  # stored before counties: home's
    ours = NotifyService(store, COUNTY, home_county=COUNTY).decide_emergency(T0)
    theirs = NotifyService(store, other, home_county=COUNTY).decide_emergency(T0)
    assert {n.event_id.split(":")[1] for n in ours} == {"RG", "OLD"}
    assert "E9" not in {n.enterprise_id for n in ours}  # E2 has nobody to tell; E9 is the other county's
    assert {(n.event_id.split(":")[1], n.enterprise_id) for n in theirs} == {("HA", "E9")}
    assert {n.address for n in theirs if n.address} == {"13500000009"}


def test_dispatched_again_to_the_same_branch_is_told_again() -> None:
    store = world()
    service = NotifyService(store, COUNTY)
    first_at = T0 + timedelta(hours=1)
    first = alarm(state=AlarmState.DISPATCHED, dispatched_to="B1", dispatched_at=first_at, version=2)
    told = [n for n in service.decide_alarms([first], first_at) if n.event_kind == "dispatched"]
    again_at = T0 + timedelta(hours=5)  # reopened, then dispatched to the same branch again
    again = dataclasses.replace(first, dispatched_at=again_at, version=5)
    told_again = [n for n in service.decide_alarms([again], again_at) if n.event_kind == "dispatched"]
    assert told and told_again and {n.key for n in told}.isdisjoint({n.key for n in told_again})
    assert service.decide_alarms([dataclasses.replace(again, version=6)], again_at) == []  # same dispatch: once


def test_the_unreachable_list_names_people_whose_last_message_failed_permanently() -> None:
    store = world()
    assert not [u for u in unreachable(store, COUNTY) if u.id == "E1:1"]  # 李电工 has a phone
    store.outbox.mark_undeliverable(
        "contact:E1:1", {"name": "李电工", "channel": "sms", "code": "isv.MOBILE_NUMBER_ILLEGAL", "at": "x"}
    )
    store.outbox.mark_undeliverable(
        "account:town1", {"name": "x", "channel": "sms", "code": "isv.BLACK_KEY_CONTROL_LIMIT", "at": "x"}
    )
    found = {u.id: u.reason for u in unreachable(store, COUNTY)}
    assert (
        found["E1:1"] == "failed:isv.MOBILE_NUMBER_ILLEGAL" and found["town1"] == "failed:isv.BLACK_KEY_CONTROL_LIMIT"
    )
    assert found["E1:2"] == "no_channel"  # 赵主任, as before
    store.outbox.mark_undeliverable("contact:E1:1", None)  # a later message reached him
    assert "E1:1" not in {u.id for u in unreachable(store, COUNTY)}


def test_a_number_outside_the_mainland_is_reached_through_sns() -> None:
    store = world()
    e1 = store.registry.get_enterprise("E1")
    contacts = (
        Contact("Smith", ContactRole.ENVIRONMENT_MANAGER, phone="+44 7700 900123"),
        Contact("陈工", ContactRole.ELECTRICIAN, phone="+86 138-0000-0077"),
    )
    store.registry.put_enterprise(dataclasses.replace(e1, contacts=contacts))
    out = NotifyService(store, COUNTY).decide_alarms([alarm()], T0)
    kinds = {(n.recipient_name, n.kind, n.address) for n in out if n.audience == "enterprise_contacts"}
    assert ("Smith", ChannelKind.SNS_SMS, "+447700900123") in kinds
    assert ("陈工", ChannelKind.SMS, "13800000077") in kinds
    assert not any(n.kind is ChannelKind.SMS and n.address.startswith("+") for n in out)


def test_someone_with_only_an_openid_and_no_grant_is_listed_by_result() -> None:
    # Given 赵主任 bound the mini-program (an openid) but never accepted a subscribe message, and no phone
    store = world()
    enterprise = store.registry.get_enterprise("E1")
    contacts = list(enterprise.contacts)
    contacts[2] = dataclasses.replace(contacts[2], wechat_openid="o-zhao")
    store.registry.put_enterprise(dataclasses.replace(enterprise, contacts=tuple(contacts)))
    assert "E1:2" not in {u.id for u in unreachable(store, COUNTY)}  # by address alone: looks reachable
    # When an alarm is decided with grants counted, Then nothing can go to him: the entry is unreachable
    service = NotifyService(store, COUNTY, wechat_templates={"alarm_raised": "TPL-1"})
    out = service.decide_alarms([alarm()], T0)
    assert [n.status for n in out if n.recipient_id == "contact:E1:2"] == [Status.UNREACHABLE]
    # And the list names him by that result
    found = {u.id: u.reason for u in unreachable(store, COUNTY, T0 + timedelta(minutes=1))}
    assert found["E1:2"] == "no_usable_channel"
    assert "E1:1" not in found  # 李电工 was reached by SMS
