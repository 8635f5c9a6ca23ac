"""A real SMS sender process SIGKILLed right after Aliyun (the loopback stub) accepted a message and before the
outcome was written: the next sender asks Aliyun (QuerySendDetails, matched on OutId) before sending again, so
the stub receives every message exactly once, and the one found is recorded as sent."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from local.provider_stubs.fleet import ProviderStubs
from monitoring.notify.models import Status
from monitoring.notify.ports import ChannelKind
from monitoring.notify.sender import IN_FLIGHT
from monitoring.notify.service import NotifyService
from monitoring.storage.sqlite import open_store
from tests.unit.monitoring.notify.world import COUNTY, alarm, populate

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[4]
LEASE_S = 1.5


def _run(db: Path, settings: Path, kill_after: int) -> int:
    args = [sys.executable, "-m", "tests.support.notify_sms_sender_proc", str(db), str(settings), str(LEASE_S)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([*args, str(kill_after)], cwd=ROOT, env=env, timeout=120, check=False).returncode


def test_a_sender_killed_after_the_provider_accepted_does_not_cause_a_duplicate(tmp_path: Path) -> None:
    db = tmp_path / "notify.db"
    store = open_store(db)
    populate(store)
    now = datetime.now(UTC)
    alarms = [
        alarm(f"A{i}", enterprise="E1" if i % 2 else "E2", created_at=now - timedelta(minutes=1 + i)) for i in range(6)
    ]
    decided = NotifyService(store, COUNTY).decide_alarms(alarms, now)
    sms = [n for n in decided if n.status is Status.QUEUED and n.kind is ChannelKind.SMS]
    assert len(sms) >= 4
    with ProviderStubs() as stubs:
        settings = tmp_path / "channels.json"
        settings.write_text(stubs.settings_json(), encoding="utf-8")
        # When the first sender dies by SIGKILL right after the provider accepted its second message
        assert _run(db, settings, kill_after=2) == -9
        entries = [store.outbox.get(m.key) for m in sms]
        killed = [n for n in entries if n.history and n.history[-1].outcome == IN_FLIGHT]
        assert all(n.status is Status.SENDING for n in killed)
        (lost,) = {n.history[-1].code for n in killed}  # one message (of one or more entries) nobody recorded
        assert lost in {n.key for n in killed}
        assert len(stubs.aliyun.accepted()) == 2
        # And a second sender finishes the outbox
        assert _run(db, settings, kill_after=0) == 0
        received = stubs.aliyun.accepted() + stubs.tencent.accepted()
    final = {m.key: store.outbox.get(m.key) for m in sms}
    assert {n.status for n in final.values()} <= {Status.SENT, Status.MERGED}  # nothing lost
    keys = [r.key for r in received]
    assert sorted(keys) == sorted(set(keys)), "a message reached the provider twice"
    assert set(keys) == {n.merged_into or n.key for n in final.values()}
    # The message the provider took before the kill is recorded as sent, found by asking; its entries with it
    (found,) = [n for n in final.values() if n.history and n.history[-1].code == "found_by_query"]
    assert found.key == lost and found.provider == "aliyun_sms" and found.status is Status.SENT
    assert {n.key for n in final.values() if n.merged_into == lost} == {n.key for n in killed} - {lost}
    store.close()


def test_a_send_whose_answer_was_lost_is_found_not_sent_again() -> None:
    # Given Aliyun (the stub, the real client) takes an SMS but its answer never arrives (the client times out)
    import dataclasses

    from monitoring.clock import FixedClock
    from monitoring.notify.channels.aliyun_sms import AliyunSms
    from monitoring.notify.routing import RoutingTable
    from monitoring.notify.sender import Sender
    from monitoring.notify.templates import TemplateBook
    from tests.unit.monitoring.notify.world import T0, world

    store, clock = world(), FixedClock(T0 + timedelta(seconds=21))
    decided = NotifyService(store, COUNTY).decide_alarms([alarm()], T0)
    with ProviderStubs() as stubs:
        assert stubs.settings.aliyun_sms is not None
        settings = dataclasses.replace(RoutingTable.load().settings, sms_per_template_day=0)
        sender = Sender(store.outbox, {ChannelKind.SMS: [AliyunSms(stubs.settings.aliyun_sms)]}, TemplateBook.load(),
                        settings, clock.now, owner="t")  # fmt: skip
        stubs.aliyun.fail_next("taken_then_timeout")
        sender.run_once()
        (lost,) = [
            n for n in (store.outbox.get(d.key) for d in decided) if n.history and n.history[-1].code == "timeout"
        ]
        assert lost.status is Status.QUEUED and [r.key for r in stubs.aliyun.accepted()].count(lost.key) == 1
        # When its back-off has passed and a sender takes it again
        clock.advance(timedelta(minutes=5))
        sender.run_once()
        keys = [r.key for r in stubs.aliyun.accepted()]
    # Then Aliyun was asked, not sent to again, and the entry is sent
    assert keys.count(lost.key) == 1 and sorted(keys) == sorted(set(keys))
    again = store.outbox.get(lost.key)
    assert again.status is Status.SENT and again.history[-1].code == "found_by_query"
