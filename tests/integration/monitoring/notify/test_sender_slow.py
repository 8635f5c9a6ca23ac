"""A slow provider does not collapse throughput: a pass stops at its deadline and releases what it did not try,
a provider that keeps timing out is skipped for a while (circuit breaker), delivery reports stop at their cap."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

from monitoring.clock import FixedClock
from monitoring.notify.breaker import CircuitBreakers
from monitoring.notify.models import Notification, Status
from monitoring.notify.ports import ChannelKind, OutgoingMessage
from monitoring.notify.receipts import apply_receipts
from monitoring.notify.routing import RoutingTable
from monitoring.notify.sender import Sender
from monitoring.notify.templates import TemplateBook
from monitoring.storage.memory import memory_store
from tests.support.notify_loopback import LoopbackChannel, LoopbackProvider
from tests.unit.monitoring.notify.world import T0


def _entry(i: int) -> Notification:
    return Notification(
        key=f"k{i:02d}",
        event_id=f"ev-{i}",
        event_kind="response_overdue",
        kind=ChannelKind.SMS,
        recipient_id=f"contact:E{i}:0",
        recipient_name="王经理",
        audience="enterprise_contacts",
        address=f"1380000{i:04d}",
        template="response_overdue",
        params={"enterprise": f"企业{i}", "time": "2026-12-01 10:00", "rule": "治污设施停运"},
        text="",
        created_at=T0,
        not_before=T0,
    )


def _sender(store: object, channels: list[LoopbackChannel], **kw: object) -> Sender:
    settings = RoutingTable.load().settings
    return Sender(
        store.outbox,  # type: ignore[attr-defined]
        {ChannelKind.SMS: channels},
        TemplateBook.load(),
        settings,
        FixedClock(T0 + timedelta(seconds=1)).now,
        owner="t",
        **kw,  # type: ignore[arg-type]
    )


def test_a_pass_stops_at_its_deadline_and_releases_what_it_did_not_try() -> None:
    store = memory_store()
    store.outbox.add([_entry(i) for i in range(6)])
    slow = LoopbackProvider("slow", delay_s=0.4)
    try:
        # one lane (the deadline is per lane: with several, each stops at it the same way)
        sender = _sender(store, [LoopbackChannel(slow.url, "aliyun_sms", timeout_s=5)], threads=1)
        started = time.monotonic()
        report = sender.run_once(deadline=started + 0.5)
        elapsed = time.monotonic() - started
    finally:
        slow.close()
    assert 1 <= report.sent <= 3 and report.sent + report.released == 6, report
    assert elapsed < 3.0  # not six sends of 0.4 s (and not the lease)
    left = [store.outbox.get(f"k{i:02d}") for i in range(6)]
    released = [n for n in left if n.status is Status.QUEUED]
    assert len(released) == report.released and all(n.attempts == 0 and not n.lease_owner for n in released)
    assert {n.key for n in store.outbox.due(T0 + timedelta(seconds=1))} == {n.key for n in released}  # due at once


def test_a_provider_timing_out_is_skipped_for_a_while_then_tried_again() -> None:
    store = memory_store()
    store.outbox.add([_entry(i) for i in range(6)])
    hung, good = LoopbackProvider("hung", delay_s=2.0), LoopbackProvider("good")
    now = [0.0]
    breakers = CircuitBreakers(threshold=2, cooldown_s=60, clock=lambda: now[0])
    try:
        channels = [LoopbackChannel(hung.url, "aliyun_sms", timeout_s=0.3), LoopbackChannel(good.url, "tencent_sms")]
        sender = _sender(store, channels, breakers=breakers)
        started = time.monotonic()
        report = sender.run_once()
        elapsed = time.monotonic() - started
        assert report.sent == 6 and len(good.received) == 6
        assert breakers.is_open("aliyun_sms")
        assert elapsed < 0.3 * 2 + 2.5  # two timeouts, then straight to the second provider
        now[0] = 61.0  # the cooldown is over: the slow one is tried again
        assert breakers.allows("aliyun_sms")
        store.outbox.add([dataclasses.replace(_entry(9), key="k99")])
        hung.delay_s = 0
        assert sender.run_once().sent == 1
        assert store.outbox.get("k99").provider == "aliyun_sms"
    finally:
        hung.close()
        good.close()


def _message() -> OutgoingMessage:
    n = _entry(0)
    return OutgoingMessage(n.key, n.kind, n.address, n.template, n.params, "", "")


def test_delivery_reports_stop_at_their_cap() -> None:
    store = memory_store()
    store.outbox.add([_entry(0)])
    sent = dataclasses.replace(
        store.outbox.get("k00"), status=Status.SENT, provider="loop", provider_id="loop-1", awaiting_receipt=True
    )
    store.outbox.replace(dataclasses.replace(sent, sent_at=T0))
    provider = LoopbackProvider("loop")
    try:
        source = LoopbackChannel(provider.url, "loop")
        assert source.send(_message()).provider_id == "loop-1"
        assert apply_receipts(store.outbox, {"loop": source}, T0, deadline=time.monotonic() - 1) == 0
        assert store.outbox.get("k00").awaiting_receipt  # not asked: past its cap
        assert apply_receipts(store.outbox, {"loop": source}, T0, deadline=time.monotonic() + 5) == 1
        assert store.outbox.get("k00").status is Status.DELIVERED
    finally:
        provider.close()
