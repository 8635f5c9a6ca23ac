"""Contract suite of the outbox on every store: create-if-absent by key, versions, the due list (queued and
expired leases, oldest first), claims that two senders cannot both win, an alarm's messages, per-number times."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.errors import ConflictError, NotFoundError
from monitoring.notify.models import Notification, Status, outbox_key
from monitoring.notify.ports import ChannelKind
from monitoring.storage.ports import Store

pytestmark = pytest.mark.contract
T = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _n(event: str, recipient: str = "account:u1", *, at: datetime = T, alarm: str | None = "A1") -> Notification:
    return Notification(
        key=outbox_key(event, recipient, ChannelKind.SMS),
        event_id=event,
        event_kind="alarm_raised",
        kind=ChannelKind.SMS,
        recipient_id=recipient,
        recipient_name="张三",
        audience="enterprise_contacts",
        address="13800000001",
        template="alarm_raised",
        params={"enterprise": "某某化工", "rule": "治污设施停运"},
        text="某某化工触发治污设施停运报警",
        created_at=at,
        not_before=at,
        alarm_id=alarm,
        enterprise_id="E1",
    )


def test_add_is_idempotent_and_get_roundtrips(store: Store) -> None:
    repo = store.outbox
    first = _n("alarm:A1:raised")
    assert repo.add([first, _n("alarm:A1:raised", "account:u2")]) == [True, True]
    assert repo.add([first]) == [False]  # deciding twice stores nothing twice
    stored = repo.get(first.key)
    assert stored.version == 1 and stored.params == first.params and stored.status is Status.QUEUED
    with pytest.raises(NotFoundError):
        repo.get("nope")
    assert repo.find("nope") is None


def test_replace_is_conditional_on_the_version(store: Store) -> None:
    repo = store.outbox
    repo.add([_n("e1")])
    stored = repo.get(_n("e1").key)
    sent = repo.replace(dataclasses.replace(stored, status=Status.SENT, provider="aliyun_sms", provider_id="B1"))
    assert sent.version == 2 and repo.get(sent.key).provider_id == "B1"
    with pytest.raises(ConflictError):
        repo.replace(dataclasses.replace(stored, status=Status.FAILED))  # version 1 is stale


def test_due_lists_queued_and_expired_leases_oldest_first_and_not_final_ones(store: Store) -> None:
    repo = store.outbox
    early, later, future = _n("e1", at=T), _n("e2", at=T + timedelta(seconds=5)), _n("e3", at=T + timedelta(hours=1))
    done = _n("e4", at=T - timedelta(minutes=1))
    repo.add([later, early, future, done])
    final = repo.get(done.key)
    repo.replace(dataclasses.replace(final, status=Status.SENT))
    now = T + timedelta(seconds=10)
    assert [n.key for n in repo.due(now)] == [early.key, later.key]
    assert [n.key for n in repo.due(now, limit=1)] == [early.key]
    claimed = repo.claim(now, owner="s1", lease_s=30, limit=10)
    assert {n.key for n in claimed} == {early.key, later.key}
    assert all(n.status is Status.SENDING and n.lease_owner == "s1" for n in claimed)
    assert repo.due(now + timedelta(seconds=29)) == []  # held by the lease
    expired = repo.due(now + timedelta(seconds=31))
    assert {n.key for n in expired} == {early.key, later.key}  # a killed sender's work comes back


def test_two_senders_never_claim_the_same_notification(store: Store) -> None:
    repo = store.outbox
    repo.add([_n(f"e{i}") for i in range(12)])
    got: dict[str, list[str]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def run(owner: str) -> None:
        barrier.wait()
        got[owner] = [n.key for n in repo.claim(T, owner=owner, lease_s=60, limit=50)]

    threads = [threading.Thread(target=run, args=(o,)) for o in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(got["a"]) & set(got["b"])
    assert len(got["a"]) + len(got["b"]) == 12


def test_for_alarm_and_sent_times(store: Store) -> None:
    repo = store.outbox
    repo.add([_n("x2", at=T + timedelta(seconds=1)), _n("x1"), _n("other", alarm="A2"), _n("free", alarm=None)])
    assert [n.event_id for n in repo.for_alarm("A1")] == ["x1", "x2"]
    assert [n.event_id for n in repo.for_alarm("A2")] == ["other"]
    for minutes in (0, 30, 59):
        repo.record_sent("13800000001", T + timedelta(minutes=minutes))
    repo.record_sent("13800000002", T)
    assert repo.sent_times("13800000001", T + timedelta(minutes=1)) == [
        T + timedelta(minutes=30),
        T + timedelta(minutes=59),
    ]
    assert len(repo.sent_times("13800000001", T - timedelta(days=1))) == 3
    repo.record_sent("13800000001", T + timedelta(days=1, minutes=10))  # drops what is over a day old
    assert repo.sent_times("13800000001", T - timedelta(days=1)) == [
        T + timedelta(minutes=30),
        T + timedelta(minutes=59),
        T + timedelta(days=1, minutes=10),
    ]


def test_awaiting_receipts_lists_sent_ones_awaiting_a_report_oldest_first(store: Store) -> None:
    repo = store.outbox
    repo.add([_n("r1"), _n("r2"), _n("r3")])
    for event, minutes, awaiting in (("r1", 5, True), ("r2", 1, True), ("r3", 0, False)):
        n = repo.get(_n(event).key)
        repo.replace(
            dataclasses.replace(
                n, status=Status.SENT, sent_at=T + timedelta(minutes=minutes), awaiting_receipt=awaiting
            )
        )
    assert [n.event_id for n in repo.awaiting_receipts()] == ["r2", "r1"]
    assert repo.due(T + timedelta(days=1)) == []  # a sent one is not due again
    done = repo.get(_n("r2").key)
    repo.replace(dataclasses.replace(done, status=Status.DELIVERED, awaiting_receipt=False))
    assert [n.event_id for n in repo.awaiting_receipts()] == ["r1"]


def test_subscription_grants_count_per_person_and_template_within_bounds(store: Store) -> None:
    repo = store.outbox
    assert repo.subscription_grants("oA") == {}
    assert repo.change_subscription_grants("oA", {"T1": 1, "T2": 1}) == {"T1": 1, "T2": 1}
    assert repo.change_subscription_grants("oA", {"T1": 1}) == {"T1": 2, "T2": 1}
    assert repo.change_subscription_grants("oA", {"T2": -1, "T3": -1}) == {"T1": 2}  # never below zero
    assert repo.change_subscription_grants("oA", {"T1": None}) == {}  # turned off
    for _ in range(60):
        repo.change_subscription_grants("oB", {"T1": 1})
    assert repo.subscription_grants("oB") == {"T1": 50} and repo.subscription_grants("oA") == {}


def test_recent_lists_newest_first_across_months_with_a_filter_and_a_cursor(store: Store) -> None:
    """The bureau's 通知记录: by decision time (ties by key), bounded by [since, until], filtered, paged."""
    repo = store.outbox
    times = [
        T - timedelta(days=40),  # the month before (another DynamoDB partition)
        T - timedelta(days=5),
        T,  # whole second: its isoformat has no fraction, and must still sort before T + 0.5 s
        T + timedelta(milliseconds=500),
        T + timedelta(hours=1),
        T + timedelta(days=2),  # after `until`
    ]
    made = [_n(f"e{i}", at=at) for i, at in enumerate(times)]
    repo.add(made)
    failed = repo.get(made[3].key)
    repo.replace(dataclasses.replace(failed, status=Status.FAILED, error="isv.MOBILE_NUMBER_ILLEGAL"))
    since, until = T - timedelta(days=60), T + timedelta(days=1)
    everything, cursor = repo.recent(since, until, limit=10)
    assert [n.event_id for n in everything] == ["e4", "e3", "e2", "e1", "e0"] and cursor is None
    first, cursor = repo.recent(since, until, limit=2)
    assert [n.event_id for n in first] == ["e4", "e3"] and cursor is not None
    rest, end = repo.recent(since, until, before=cursor, limit=10)
    assert [n.event_id for n in rest] == ["e2", "e1", "e0"] and end is None
    recent, _ = repo.recent(T - timedelta(days=6), until, limit=10)
    assert [n.event_id for n in recent] == ["e4", "e3", "e2", "e1"]  # `since` excludes the month before
    only_failed, _ = repo.recent(since, until, limit=10, accept=lambda n: n.status is Status.FAILED)
    assert [(n.event_id, n.error) for n in only_failed] == [("e3", "isv.MOBILE_NUMBER_ILLEGAL")]
    # the replace kept the message in place (same decision time), not moved to the top
    assert [n.event_id for n in repo.recent(since, until, limit=1)[0]] == ["e4"]
