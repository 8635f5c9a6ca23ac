"""The sender against loopback providers over real sockets: accepted and recorded, merged per address,
failover to the second provider, back-off then success, permanent failure, retries exhausted, per-number limits
holding SMS back and sending each whole later."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from monitoring.alarms.models import Reminder
from monitoring.clock import FixedClock
from monitoring.notify.models import Notification, Status
from monitoring.notify.ports import ChannelKind
from monitoring.notify.receipts import apply_receipts
from monitoring.notify.routing import RoutingTable
from monitoring.notify.sender import Sender
from monitoring.notify.service import NotifyService
from monitoring.notify.templates import TemplateBook
from monitoring.storage.ports import Store
from tests.support.notify_loopback import LoopbackChannel, LoopbackProvider
from tests.unit.monitoring.notify.world import COUNTY, T0, alarm, world

PHONE_WANG = "13800000001"


@pytest.fixture
def providers() -> Iterator[tuple[LoopbackProvider, LoopbackProvider]]:
    a, b = LoopbackProvider("aliyun"), LoopbackProvider("tencent")
    yield a, b
    a.close()
    b.close()


def _sender(store: Store, clock: FixedClock, a: LoopbackProvider, b: LoopbackProvider, **settings: Any) -> Sender:
    channels = {
        ChannelKind.SMS: [LoopbackChannel(a.url, "aliyun_sms"), LoopbackChannel(b.url, "tencent_sms")],
        ChannelKind.WECHAT_SUBSCRIBE: [LoopbackChannel(a.url, "wechat", ChannelKind.WECHAT_SUBSCRIBE)],
    }
    base = RoutingTable.load().settings
    threads = settings.pop("threads", 1)  # one at a time: the injected failures hit a known message
    return Sender(
        store.outbox,
        channels,
        TemplateBook.load(),
        dataclasses.replace(base, **settings),
        clock.now,
        owner="t",
        threads=threads,
    )


def _decided(store: Store, *alarms: object) -> list[Notification]:
    return NotifyService(store, COUNTY).decide_alarms(alarms, T0)  # type: ignore[arg-type]


def _to(store: Store, notes: list[Notification], phone: str) -> list[Notification]:
    return [store.outbox.get(n.key) for n in notes if n.address == phone]


def test_sent_once_recorded_with_the_provider_id(providers: tuple[LoopbackProvider, LoopbackProvider]) -> None:
    a, b = providers
    store, clock = world(), FixedClock(T0 + timedelta(seconds=21))
    notes = _decided(store, alarm())
    report = _sender(store, clock, a, b).run_once()
    assert report.sent == 3 and report.failed == 0  # two SMS, one subscribe message
    sms = _to(store, notes, PHONE_WANG)
    sent = next(n for n in sms if n.kind is ChannelKind.SMS)
    assert sent.status is Status.SENT and sent.provider == "aliyun_sms" and sent.provider_id.startswith("aliyun-")
    assert sent.sent_at == clock.now() and sent.attempts == 1
    assert a.counts()[sent.key] == 1 and not b.received
    assert _sender(store, clock, a, b).run_once().sent == 0  # nothing left


def test_not_sent_before_the_coalescing_window_closes(providers: tuple[LoopbackProvider, LoopbackProvider]) -> None:
    a, b = providers
    store, clock = world(), FixedClock(T0 + timedelta(seconds=5))
    _decided(store, alarm())
    assert _sender(store, clock, a, b).run_once().sent == 0 and not a.received


def test_alarms_of_one_enterprise_raised_together_go_as_one_message(
    providers: tuple[LoopbackProvider, LoopbackProvider],
) -> None:
    a, b = providers
    store, clock = world(), FixedClock(T0 + timedelta(seconds=21))
    notes = _decided(store, alarm("A1"), alarm("A2", rule="control_low_load"), alarm("A3", rule="start_stop_order"))
    report = _sender(store, clock, a, b).run_once()
    sms = [n for n in _to(store, notes, PHONE_WANG) if n.kind is ChannelKind.SMS]
    assert sorted(n.status for n in sms) == [Status.MERGED, Status.MERGED, Status.SENT]
    primary = next(n for n in sms if n.status is Status.SENT)
    assert all(n.merged_into == primary.key and n.provider_id == primary.provider_id for n in sms if n is not primary)
    got = [m for m in a.received if m["address"] == PHONE_WANG]
    assert len(got) == 1 and got[0]["template"] == "alarms_raised_many" and got[0]["params"]["count"] == "3"
    assert report.merged >= 2


def test_alarms_raised_five_seconds_apart_go_as_one_message(
    providers: tuple[LoopbackProvider, LoopbackProvider],
) -> None:
    # Given one enterprise's alarms raised 5 s apart, each decided as it is raised
    a, b = providers
    store, clock = world(), FixedClock(T0)
    service, sender = NotifyService(store, COUNTY), _sender(store, clock, a, b)
    service.decide_alarms([alarm("A1")], clock.now())
    clock.advance(timedelta(seconds=5))
    service.decide_alarms([alarm("A2", rule="control_low_load", created_at=clock.now())], clock.now())
    # When the sender runs as the first one's window closes, Then the second joined it: one message
    clock.advance(timedelta(seconds=5))
    sender.run_once()
    clock.advance(timedelta(seconds=30))
    sender.run_once()
    got = [m for m in a.received if m["address"] == PHONE_WANG]
    assert len(got) == 1 and got[0]["template"] == "alarms_raised_many" and got[0]["params"]["count"] == "2"


def test_five_simultaneous_reminders_go_as_one_message_per_address(
    providers: tuple[LoopbackProvider, LoopbackProvider],
) -> None:
    # Given five alarms (two enterprises) that all became overdue at once: the escalation stored a reminder each
    a, b = providers
    due = T0 + timedelta(hours=2)
    store, clock = world(), FixedClock(due)
    overdue = [
        alarm(f"A{i}", enterprise=("E1", "E2")[i % 2], reminders=(Reminder(due, "enterprise", "response_overdue"),
              Reminder(due, "branch", "response_overdue")))
        for i in range(5)
    ]  # fmt: skip
    decided = NotifyService(store, COUNTY).decide_alarms(overdue, clock.now())
    reminders = [n for n in decided if n.event_kind == "response_overdue" and n.kind is ChannelKind.SMS and n.address]
    addresses = {n.address for n in reminders}
    assert len(reminders) > len(addresses) >= 2  # several reminders reach each address
    # When the window has closed, Then each address gets one "N alarms overdue" message
    clock.advance(timedelta(seconds=30))
    _sender(store, clock, a, b).run_once(limit=200)
    for address in addresses:
        got = [m for m in a.received if m["address"] == address and m["template"].startswith("response_overdue")]
        count = sum(n.address == address for n in reminders)
        assert len(got) == 1
        assert got[0]["params"].get("count", "1") == str(count)
        assert got[0]["template"] == ("response_overdue_many" if count > 1 else "response_overdue")


def test_different_numbers_are_sent_to_at_once_one_number_in_turn() -> None:
    # Given an emergency-like fan-out: twelve numbers, one of them with three messages, a provider taking 0.3 s each
    slow = LoopbackProvider("aliyun", delay_s=0.3)
    try:
        store, clock = world(), FixedClock(T0 + timedelta(seconds=21))
        sender = _sender(store, clock, slow, slow, threads=8)
        numbers = [f"1390000{i:04d}" for i in range(12)]
        notes = [
            Notification(
                key=f"k-{i}", event_id=f"e-{i}", event_kind="daily_digest", kind=ChannelKind.SMS, recipient_id=f"r{i}",
                recipient_name="x", audience="town", address=numbers[min(i, 11)], template="daily_digest",
                params={"scope": "如城", "day": "12-06", "new": "1", "open": "1", "overdue": "0"}, text="t",
                created_at=T0, not_before=T0,
            )
            for i in range(14)
        ]  # fmt: skip
        store.outbox.add(notes)
        report = sender.run_once(limit=100)
        # Then every message went, several numbers at once, and never two to one number at once
        assert report.sent == 14 and len(slow.received) == 14
        assert slow.max_in_flight >= 2 and slow.overlapped == set()
    finally:
        slow.close()


def test_failover_to_the_second_provider(providers: tuple[LoopbackProvider, LoopbackProvider]) -> None:
    a, b = providers
    store, clock = world(), FixedClock(T0 + timedelta(seconds=21))
    notes = _decided(store, alarm())
    a.fail_next(10, 429, "isv.BUSINESS_LIMIT_CONTROL")
    _sender(store, clock, a, b).run_once()
    sent = next(n for n in _to(store, notes, PHONE_WANG) if n.kind is ChannelKind.SMS)
    assert sent.status is Status.SENT and sent.provider == "tencent_sms" and b.counts()[sent.key] == 1
    assert [h.provider for h in sent.history] == ["tencent_sms"]


def test_back_off_then_success_and_permanent_failure_is_not_retried(
    providers: tuple[LoopbackProvider, LoopbackProvider],
) -> None:
    a, b = providers
    store, clock = world(), FixedClock(T0 + timedelta(seconds=21))
    notes = _decided(store, alarm())
    a.fail_next(2, 503, "http_503")
    b.fail_next(1, 503, "http_503")  # both providers down for the first SMS
    sender = _sender(store, clock, a, b)
    report = sender.run_once()
    assert report.retried >= 1
    waiting = [n for n in (store.outbox.get(x.key) for x in notes) if n.status is Status.QUEUED]
    assert len(waiting) == 1 and waiting[0].attempts == 1 and waiting[0].error == "http_503"
    assert waiting[0].not_before == clock.now() + timedelta(seconds=10)  # retry.first_s
    assert sender.run_once().sent == 0  # not before the back-off
    clock.advance(timedelta(seconds=10))
    assert sender.run_once().sent == 1
    assert store.outbox.get(waiting[0].key).status is Status.SENT

    store2 = world()
    notes2 = _decided(store2, alarm())
    before = len(b.received)
    a.fail_next(1, 400, "isv.MOBILE_NUMBER_ILLEGAL")
    _sender(store2, FixedClock(T0 + timedelta(seconds=21)), a, b).run_once()
    failed = [store2.outbox.get(n.key) for n in notes2 if store2.outbox.get(n.key).status is Status.FAILED]
    assert len(failed) == 1 and failed[0].error == "isv.MOBILE_NUMBER_ILLEGAL" and failed[0].finished_at
    assert failed[0].key not in b.counts() and len(b.received) == before  # a recipient's refusal: no failover


def test_retries_end_after_max_attempts(providers: tuple[LoopbackProvider, LoopbackProvider]) -> None:
    a, b = providers
    store, clock = world(), FixedClock(T0 + timedelta(seconds=21))
    notes = _decided(store, alarm())
    a.fail_next(100, 503, "http_503")
    b.fail_next(100, 503, "http_503")
    sender = _sender(store, clock, a, b, max_attempts=3)
    for _ in range(4):
        sender.run_once()
        clock.advance(timedelta(hours=1))
    outcomes = {n.status for n in store.outbox.due(clock.now() + timedelta(days=1))}
    assert outcomes == set()  # nothing left queued: the failing ones ended as failed
    final = [store.outbox.get(n.key) for n in notes if n.status is Status.QUEUED]
    assert {(n.status, n.attempts, n.error) for n in final} == {(Status.FAILED, 3, "http_503")}


def test_per_number_limit_folds_a_long_hold_into_one_summary(
    providers: tuple[LoopbackProvider, LoopbackProvider],
) -> None:
    a, b = providers
    installer = "13800000009"
    store, clock = world(), FixedClock(T0)
    sender, service = _sender(store, clock, a, b, sms_per_hour=1), NotifyService(store, COUNTY)

    def raise_alarm(aid: str, enterprise: str, rule: str) -> None:
        raised = clock.now() - timedelta(seconds=21)  # its coalescing window has closed
        service.decide_alarms([alarm(aid, enterprise=enterprise, rule=rule, created_at=raised)], clock.now())

    def to_installer() -> list[dict[str, Any]]:
        return [m for m in a.received if m["address"] == installer]

    raise_alarm("A1", "E2", "terminal_offline")
    sender.run_once()
    assert len(to_installer()) == 1
    # Given three more alarms of two enterprises within the hour the number may get one SMS in
    for aid, enterprise, rule in (("A2", "E1", "tamper_flatline"), ("A3", "E2", "tamper_flatline")):
        clock.advance(timedelta(minutes=5))
        raise_alarm(aid, enterprise, rule)
        assert sender.run_once().held >= 1 and len(to_installer()) == 1
    clock.advance(timedelta(minutes=5))
    raise_alarm("A4", "E1", "terminal_offline")
    sender.run_once()
    assert len(to_installer()) == 1
    # When the hour has passed, Then one summary goes: the count and the newest, the others merged into it
    clock.advance(timedelta(hours=1))
    sender.run_once()
    assert len(to_installer()) == 2
    summary = to_installer()[1]
    assert summary["template"] == "pending_many" and summary["params"]["count"] == "3"
    newest = store.outbox.get(summary["key"])
    assert newest is not None and newest.alarm_id == "A4" and newest.status is Status.SENT
    held = [n for aid in ("A2", "A3") for n in store.outbox.for_alarm(aid) if n.address == installer]
    assert {n.status for n in held} == {Status.MERGED} and {n.merged_into for n in held} == {newest.key}
    assert not [n for n in store.outbox.due(clock.now() + timedelta(days=2)) if n.address == installer]


def test_a_short_hold_keeps_messages_whole(providers: tuple[LoopbackProvider, LoopbackProvider]) -> None:
    a, b = providers
    installer = "13800000009"
    store, clock = world(), FixedClock(T0)
    sender, service = _sender(store, clock, a, b, sms_per_minute=1), NotifyService(store, COUNTY)
    for aid, enterprise in (("A1", "E2"), ("A2", "E1")):
        raised = clock.now() - timedelta(seconds=21)
        service.decide_alarms([alarm(aid, enterprise=enterprise, rule="terminal_offline", created_at=raised)], T0)
    sender.run_once()
    clock.advance(timedelta(minutes=1))
    sender.run_once()
    sent = [m for m in a.received if m["address"] == installer]
    assert [m["template"] for m in sent] == ["alarm_raised", "alarm_raised"]  # a wait under a minute: each whole


def test_delivery_reports_are_recorded_for_providers_that_give_them(
    providers: tuple[LoopbackProvider, LoopbackProvider],
) -> None:
    a, b = providers
    store, clock = world(), FixedClock(T0 + timedelta(seconds=21))
    notes = _decided(store, alarm())
    sender = _sender(store, clock, a, b)
    sender.receipt_providers = frozenset({"aliyun_sms"})
    sender.run_once()
    sms = [n for n in (store.outbox.get(x.key) for x in notes) if n.kind is ChannelKind.SMS and n.address]
    assert len(sms) == 2 and all(n.awaiting_receipt for n in sms)
    assert {n.key for n in store.outbox.awaiting_receipts()} == {n.key for n in sms}  # not the subscribe message
    a.undelivered[sms[1].provider_id] = "MK:0012"  # the carrier's "number unreachable"
    channel = LoopbackChannel(a.url, "aliyun_sms")
    assert apply_receipts(store.outbox, {"aliyun_sms": channel}, clock.now()) == 2
    after = {n.key: store.outbox.get(n.key) for n in sms}
    assert after[sms[0].key].status is Status.DELIVERED and after[sms[0].key].delivered_at is not None
    assert after[sms[1].key].status is Status.FAILED and after[sms[1].key].error == "MK:0012"
    assert store.outbox.awaiting_receipts() == []


def test_without_a_configured_provider_messages_wait_and_are_not_failed() -> None:
    store, clock = world(), FixedClock(T0 + timedelta(seconds=21))
    notes = [n for n in _decided(store, alarm()) if n.status is Status.QUEUED]
    settings = RoutingTable.load().settings
    report = Sender(store.outbox, {}, TemplateBook.load(), settings, clock.now, owner="t").run_once()
    assert report.held == len(notes) and report.failed == 0
    after = [store.outbox.get(n.key) for n in notes]
    assert {(n.status, n.attempts) for n in after} == {(Status.QUEUED, 0)}
    assert {n.not_before for n in after} == {clock.now() + timedelta(minutes=5)}


def test_without_a_provider_for_an_hour_a_message_fails_no_provider() -> None:
    store, clock = world(), FixedClock(T0 + timedelta(seconds=21))
    notes = [n for n in _decided(store, alarm()) if n.status is Status.QUEUED]
    settings = RoutingTable.load().settings
    sender = Sender(store.outbox, {}, TemplateBook.load(), settings, clock.now, owner="t")
    assert sender.run_once().held == len(notes)
    clock.advance(timedelta(hours=1))
    report = sender.run_once()
    assert report.failed == len(notes)
    assert {(store.outbox.get(n.key).status, store.outbox.get(n.key).error) for n in notes} == {
        (Status.FAILED, "no_provider")
    }


def test_a_permanent_failure_lists_the_person_until_a_message_reaches_them(
    providers: tuple[LoopbackProvider, LoopbackProvider],
) -> None:
    a, b = providers
    store, clock = world(), FixedClock(T0 + timedelta(seconds=21))
    notes = _decided(store, alarm())
    a.fail_next(1, 400, "isv.MOBILE_NUMBER_ILLEGAL")
    sms_only = {ChannelKind.SMS: [LoopbackChannel(a.url, "aliyun_sms")]}
    settings = RoutingTable.load().settings
    sender = Sender(store.outbox, sms_only, TemplateBook.load(), settings, clock.now, owner="t")
    sender.run_once()
    failed = [n for n in notes if store.outbox.get(n.key).status is Status.FAILED]
    assert len(failed) == 1
    who = failed[0].recipient_id
    assert store.outbox.undeliverable()[who]["code"] == "isv.MOBILE_NUMBER_ILLEGAL"
    later = dataclasses.replace(failed[0], key="later", event_id="ev-later", status=Status.QUEUED, version=0)
    store.outbox.add([later])
    sender.run_once()
    assert store.outbox.get("later").status is Status.SENT and who not in store.outbox.undeliverable()
