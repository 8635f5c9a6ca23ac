"""Sending driven by what is enqueued (AWS shape): the alarm handler invokes NotifySend asynchronously through
Lambda's Invoke API (a loopback emulation running it on one worker, as reserved concurrency 1 does) and the SMS
reaches the Aliyun stub within the coalescing window, with no scheduled run; the scheduled safety net sends a
per-number hold released later and returns at once when nothing is due; two senders at once send each entry once."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from functions import _notify, _wiring
from functions.notify_send import handler as send_handler
from functions.on_alarm_change_notify import handler as decide_handler
from local.provider_stubs.fleet import ProviderStubs
from monitoring.clock import FixedClock
from monitoring.notify.models import Status
from monitoring.notify.ports import ChannelKind
from monitoring.storage.ports import Store
from tests.integration.functions.conftest import NotifySendContext as Context
from tests.support.lambda_loopback import LambdaLoopback
from tests.support.notify_loopback import LoopbackChannel, LoopbackProvider
from tests.unit.monitoring.notify.world import COUNTY, T0, alarm, populate

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
WINDOW_S = 2  # the coalescing window of these tests (10 s in data/notify_routes.json)
SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event"}


class RunningClock:
    """Wall time moving from `start` (the world's alarms are at T0: fresh, inside working hours)."""

    def __init__(self, start: datetime) -> None:
        self.start, self.began = start, time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)

    def at(self, moment: datetime) -> float:
        """time.monotonic() of a moment of this clock."""
        return self.began + (moment - self.start).total_seconds()


def _routes(tmp_path: Path, **settings: Any) -> Path:
    data = json.loads((ROOT / "data" / "notify_routes.json").read_text(encoding="utf-8"))
    data["settings"] = {**data["settings"], "coalesce_window_s": WINDOW_S, **settings}
    path = tmp_path / "routes.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _wire(clock: Any, routes: Path, **settings: str) -> Store:
    values: dict[str, Any] = {**_wiring.get_settings().model_dump(), "county_id": COUNTY, "notify_routes": str(routes)}
    _wiring.configure(_wiring.Settings(**{**values, **settings}), clock=clock)
    _notify.reset()
    return _wiring.get_store()


@pytest.fixture
def world(wired_store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    populate(wired_store)
    for name in ("NOTIFY_CHANNELS_JSON", "NOTIFY_CHANNELS_FILE", "NOTIFY_CHANNELS_SECRET", "NOTIFY_SNS_REGION"):
        monkeypatch.delenv(name, raising=False)
    yield wired_store
    _notify.use_channels(None)
    _notify.reset()


@pytest.fixture
def stubs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderStubs]:
    """The providers' loopback stubs, reached by the real clients the sender builds from settings."""
    with ProviderStubs() as running:
        path = tmp_path / "channels.json"
        path.write_text(running.settings_json(), encoding="utf-8")
        monkeypatch.setenv("NOTIFY_CHANNELS_FILE", str(path))
        yield running


def _record(pk: str) -> dict[str, Any]:
    return {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": "alarm"}}}}


def _sms(store: Store, alarm_id: str) -> list[Any]:
    """The SMS entries of an alarm to people who have a number (not the `unreachable` records)."""
    return [n for n in store.outbox.for_alarm(alarm_id) if n.kind is ChannelKind.SMS and n.address]


def test_an_enqueued_alarm_invokes_the_sender_and_its_sms_arrives_within_the_window(
    world: Store, stubs: ProviderStubs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given NotifySend behind Lambda's Invoke API and the enqueuing functions configured to invoke it
    clock = RunningClock(T0)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    lam = LambdaLoopback("NotifySend", send_handler)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", lam.url)
        store = _wire(clock, _routes(tmp_path), notify_send_function="NotifySend", dynamodb_region="cn-north-1")
        # When an alarm is raised and its stream record reaches the decider (nothing scheduled runs at all)
        store.alarms.put(alarm("A1", created_at=T0, updated_at=T0), expected_version=None)
        assert decide_handler({"Records": [_record("alarm#A1")]}, Context("req-decide"))["decided"] >= 3
        sms = _sms(store, "A1")
        assert sms and all(n.status is Status.QUEUED for n in sms)
        # Then the decider asked for one asynchronous run, for when the window closes
        (invocation,) = lam.invocations
        assert invocation.payload == {"trigger": "enqueued", "due": (T0 + timedelta(seconds=WINDOW_S)).isoformat()}
        # And the SMS reach the Aliyun stub once the window has passed, within the window plus a little
        addresses = {n.address for n in sms}
        deadline = time.monotonic() + WINDOW_S + 20
        while {r.address for r in stubs.aliyun.accepted()} != addresses and time.monotonic() < deadline:
            time.sleep(0.05)
        received = stubs.aliyun.accepted()
        assert {r.address for r in received} == addresses and len(received) == len(addresses)
        window_closes = clock.at(T0 + timedelta(seconds=WINDOW_S))
        assert all(window_closes - 0.5 <= r.at - time.time() + time.monotonic() for r in received)
        last = max(r.at for r in received) - time.time() + time.monotonic()
        assert last <= window_closes + 5.0
        print(f"driven: last SMS accepted {last - window_closes:.2f} s after the {WINDOW_S} s window closed")
        deadline = time.monotonic() + 10
        while not lam.idle() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lam.idle() and not invocation.error and invocation.result["sent"] >= len(addresses)
        assert {store.outbox.get(n.key).status for n in sms} <= {Status.SENT, Status.DELIVERED}
    finally:
        lam.close()


def test_no_invoke_when_nothing_is_due_soon_and_a_lost_invoke_fails_nothing(
    world: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    lam = LambdaLoopback("NotifySend", send_handler)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", lam.url)
        # Given a low-severity alarm raised at 23:00 Beijing: quiet hours hold its messages until 07:00
        night = T0 + timedelta(hours=13)
        aws = {"notify_send_function": "NotifySend", "dynamodb_region": "cn-north-1"}
        store = _wire(FixedClock(night), _routes(tmp_path), **aws)
        store.alarms.put(alarm("A1", severity="low", created_at=night, updated_at=night), expected_version=None)
        assert decide_handler({"Records": [_record("alarm#A1")]}, Context())["decided"] >= 1
        # Then nobody is invoked for it: the safety net sends it in the morning
        assert lam.invocations == []
        # Given an invoke that cannot reach Lambda, When an alarm is decided, Then the handler still succeeds
        lam.close()
        store = _wire(FixedClock(T0), _routes(tmp_path), **aws)
        store.alarms.put(alarm("A2", rule="control_low_load"), expected_version=None)
        assert decide_handler({"Records": [_record("alarm#A2")]}, Context())["decided"] >= 1
        assert _sms(store, "A2") and all(n.status is Status.QUEUED for n in _sms(store, "A2"))
        assert "asynchronous invoke of NotifySend failed" in caplog.text
    finally:
        lam.close()


def test_a_per_number_hold_released_later_is_sent_by_the_safety_net(
    world: Store, stubs: ProviderStubs, tmp_path: Path
) -> None:
    # Given at most one SMS a minute per number, and one alarm's SMS sent by its driven run
    clock = FixedClock(T0)
    store = _wire(clock, _routes(tmp_path, sms_limits={"per_minute": 1, "per_template_day": 50}))
    store.alarms.put(alarm("A1"), expected_version=None)
    decide_handler({"Records": [_record("alarm#A1")]}, Context())
    clock.set(T0 + timedelta(seconds=WINDOW_S + 1))
    first = send_handler({"trigger": "enqueued", "due": (T0 + timedelta(seconds=WINDOW_S)).isoformat()}, Context())
    assert first["sent"] >= 1
    before = len(stubs.aliyun.accepted())
    # When a second alarm of the enterprise falls due seconds later: its driven run holds the SMS for the minute
    later = T0 + timedelta(seconds=10)
    store.alarms.put(alarm("A2", rule="control_low_load", created_at=later, updated_at=later), expected_version=None)
    clock.set(later)
    decide_handler({"Records": [_record("alarm#A2")]}, Context())
    clock.set(later + timedelta(seconds=WINDOW_S + 2))
    started = time.monotonic()
    held = send_handler({"trigger": "enqueued", "due": (later + timedelta(seconds=WINDOW_S)).isoformat()}, Context())
    assert held["held"] >= 2 and len(stubs.aliyun.accepted()) == before  # (its WeChat message went)
    assert time.monotonic() - started < 5.0  # it does not stay for a hold a minute away
    sms = _sms(store, "A2")
    assert {store.outbox.get(n.key).status for n in sms} == {Status.QUEUED}
    # Then the scheduled run after the hold opens sends them
    clock.set(T0 + timedelta(seconds=WINDOW_S + 1 + 61))
    started = time.monotonic()
    net = send_handler(SCHEDULED, Context())
    assert net["sent"] >= 1 and time.monotonic() - started < 5.0  # and returns once nothing is due
    assert len(stubs.aliyun.accepted()) > before
    assert {store.outbox.get(n.key).status for n in sms} <= {Status.SENT, Status.DELIVERED}


def test_the_scheduled_run_returns_at_once_when_nothing_is_due(world: Store, tmp_path: Path) -> None:
    provider = LoopbackProvider("aliyun")
    try:
        clock = FixedClock(T0)
        store = _wire(clock, _routes(tmp_path))
        _notify.use_channels({ChannelKind.SMS: [LoopbackChannel(provider.url, "aliyun_sms")]})
        # Given entries queued but due only in WINDOW_S seconds, and a run allowed 50 s
        store.alarms.put(alarm("A1"), expected_version=None)
        decide_handler({"Records": [_record("alarm#A1")]}, Context())
        # When the scheduled safety net runs twice (the second with the receipts just asked)
        for _ in range(2):
            started = time.monotonic()
            totals = send_handler({**SCHEDULED, "budget_s": 50}, Context())
            elapsed = time.monotonic() - started
            # Then it returns without waiting for them (the polling sender stayed its whole budget)
            assert totals["sent"] == 0 and elapsed < 3.0, elapsed
        assert provider.received == []
        # And a driven run whose entries were sent already returns at once too
        clock.set(T0 + timedelta(seconds=WINDOW_S))
        assert send_handler(SCHEDULED, Context())["sent"] >= 1
        started = time.monotonic()
        assert send_handler({"trigger": "enqueued", "due": T0.isoformat()}, Context())["sent"] == 0
        assert time.monotonic() - started < 3.0
    finally:
        provider.close()


def test_two_senders_at_once_send_each_entry_once(world: Store, tmp_path: Path) -> None:
    provider = LoopbackProvider("aliyun", delay_s=0.05)
    try:
        store = _wire(FixedClock(T0 + timedelta(minutes=1)), _routes(tmp_path))
        _notify.use_channels({ChannelKind.SMS: [LoopbackChannel(provider.url, "aliyun_sms")]})
        # Given many alarms of two enterprises, all due
        rules = ("control_stopped", "control_low_load", "terminal_offline", "power_loss")
        for i in range(12):
            e = "E1" if i % 2 else "E2"
            a = alarm(f"A{i}", enterprise=e, rule=rules[i % 4], subject=f"point:{e}-P{i}")
            store.alarms.put(a, expected_version=None)
        decide_handler({"Records": [_record(f"alarm#A{i}") for i in range(12)]}, Context())
        queued = [n for i in range(12) for n in _sms(store, f"A{i}") if n.status is Status.QUEUED]
        assert len(queued) >= 12
        # When two sender invocations run at the same moment (say a driven run and a throttled one's retry)
        gate = threading.Barrier(2)
        results: list[dict[str, int]] = []

        def run(request: str) -> None:
            gate.wait()
            results.append(send_handler({"trigger": "enqueued", "due": T0.isoformat(), "batch": 3}, Context(request)))

        threads = [threading.Thread(target=run, args=(f"req-{x}",)) for x in "ab"]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        provider.close()
    # Then every message went once: no key twice at the provider, every entry sent or merged into one that was
    assert len(results) == 2
    keys = Counter(m["key"] for m in provider.received)
    assert keys and max(keys.values()) == 1
    final = [store.outbox.get(n.key) for n in queued]
    assert {n.status for n in final} <= {Status.SENT, Status.DELIVERED, Status.MERGED}
    assert set(keys) == {n.key for n in final if n.status is not Status.MERGED}
    assert {n.merged_into for n in final if n.status is Status.MERGED} <= set(keys)
    assert sum(r["sent"] for r in results) == len(keys)
    assert sum(r["sent"] + r["merged"] for r in results) == len(queued)


def test_the_sweep_and_the_maintenance_reminders_invoke_the_sender_too(
    wired_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.every_fifteen_minutes_maintenance_reminders import handler as remind_handler
    from tests.support.maintenance_world import build, offline_alarm

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    calls: list[dict[str, Any]] = []
    lam = LambdaLoopback("NotifySend", lambda event, context: calls.append(event))
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", lam.url)
        tick = datetime(2026, 12, 6, 2, 0, tzinfo=T0.tzinfo)
        build(wired_store, tick)
        offline_alarm(wired_store, "al-h", "e1", "MN0001", tick - timedelta(hours=25))
        base = _wiring.get_settings().model_dump()
        aws = {"notify_send_function": "NotifySend", "dynamodb_region": "cn-north-1"}
        _wiring.configure(_wiring.Settings(**{**base, **aws}), clock=FixedClock(tick))
        _notify.reset()
        event = {"time": tick.strftime("%Y-%m-%dT%H:%M:%SZ"), "source": "aws.events"}
        # When the repair reminders are decided (due at once), Then the sender is asked to run now
        assert remind_handler(event, Context())["decided"] == 2
        # And when the minute's sweep decides (here the daily digest: 10:00 Beijing, past its 08:00), it asks too
        assert decide_handler(event, Context())["decided"] >= 1
        waiting = _wiring.get_store().outbox.due(tick + timedelta(minutes=1), limit=100)
        assert "daily_digest" in {n.event_kind for n in waiting}
        deadline = time.monotonic() + 10
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        lam.close()
        _notify.reset()
    assert [c["trigger"] for c in calls] == ["enqueued", "enqueued"]
    assert calls[0]["due"] == tick.isoformat()
    assert datetime.fromisoformat(calls[1]["due"]) <= tick + timedelta(seconds=10)  # its coalescing window at most
