"""on_alarm_change_notify with a DynamoDB stream batch and an EventBridge event, and notify_send through a
loopback provider, on sqlite behind `_wiring`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from functions import _notify, _wiring
from functions.notify_send import handler as send_handler
from functions.on_alarm_change_notify import handler as decide_handler
from monitoring.clock import FixedClock
from monitoring.notify.ports import ChannelKind
from monitoring.storage.ports import Store
from tests.support.notify_loopback import LoopbackChannel, LoopbackProvider
from tests.unit.monitoring.notify.world import COUNTY, T0, alarm, populate


@pytest.fixture
def notify_store(wired_store: Store) -> Iterator[Store]:
    populate(wired_store)
    _wiring.configure(
        _wiring.Settings(**{**_wiring.get_settings().model_dump(), "county_id": COUNTY}), clock=FixedClock(T0)
    )
    _notify.reset()
    store = _wiring.get_store()
    yield store
    _notify.use_channels(None)
    _notify.reset()


def _record(name: str, pk: str) -> dict[str, Any]:
    return {"eventName": name, "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": "alarm"}}}}


def test_stream_batch_decides_for_changed_alarms_only(notify_store: Store, lambda_context: Any) -> None:
    notify_store.alarms.put(alarm("A1"), expected_version=None)
    notify_store.alarms.put(alarm("A2", enterprise="E2"), expected_version=None)
    event = {
        "Records": [
            _record("INSERT", "alarm#A1"),
            _record("MODIFY", "alarm#A1"),  # one batch may carry an alarm twice
            _record("REMOVE", "alarm#A2"),
            _record("INSERT", "cmd#MN1"),  # other items of the state table
            _record("INSERT", "alarm#gone"),  # deleted since: skipped, not a failure
        ]
    }
    assert decide_handler(event, lambda_context)["decided"] == 4  # 3 sendable + 1 unreachable, for A1 only
    assert {n.alarm_id for n in notify_store.outbox.for_alarm("A1")} == {"A1"}
    assert notify_store.outbox.for_alarm("A2") == []
    assert decide_handler(event, lambda_context)["decided"] == 0  # a redelivered batch stores nothing twice


def test_schedule_sweeps_alarms_and_the_sender_sends(notify_store: Store, lambda_context: Any) -> None:
    notify_store.alarms.put(alarm("A1"), expected_version=None)
    scheduled = {"time": (T0 + timedelta(seconds=30)).isoformat().replace("+00:00", "Z")}
    assert decide_handler(scheduled, lambda_context)["decided"] == 4 + 3  # and the digest (10:00 Beijing)
    assert len(notify_store.outbox.for_alarm("A1")) == 4
    provider = LoopbackProvider("aliyun")
    try:
        channel = LoopbackChannel(provider.url, "aliyun_sms")
        wechat = LoopbackChannel(provider.url, "wechat", ChannelKind.WECHAT_SUBSCRIBE)
        _notify.use_channels({ChannelKind.SMS: [channel], ChannelKind.WECHAT_SUBSCRIBE: [wechat]})
        _wiring.configure(_wiring.get_settings(), clock=FixedClock(T0 + timedelta(seconds=30)))
        totals = send_handler({"budget_s": 10}, lambda_context)
        digest = [m for m in provider.received if m["template"] == "daily_digest"]
    finally:
        provider.close()
    assert totals["sent"] == 5 and totals["receipts"] == 5  # the loopback reports delivery of everything
    assert {m["params"]["scope"] for m in digest} == {"白蒲镇", "执法一局"}
    statuses = sorted(n.status.value for n in notify_store.outbox.for_alarm("A1"))
    assert statuses == ["delivered", "delivered", "delivered", "unreachable"]


@pytest.fixture
def unreadable_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """NOTIFY_CHANNELS_SECRET names a secret this process may not read (moto: it does not exist), as every
    function but NotifySend sees it in AWS."""
    from moto import mock_aws

    for name in ("NOTIFY_CHANNELS_JSON", "NOTIFY_CHANNELS_FILE", "NOTIFY_SNS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "cn-north-1")
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    arn = "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:NotifyChannels-AbCdEf"
    monkeypatch.setenv("NOTIFY_CHANNELS_SECRET", arn)
    with mock_aws():
        yield arn


def test_deciding_never_reads_the_channels_secret(
    notify_store: Store, lambda_context: Any, unreadable_secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Given the WeChat ids as a plain setting and a secret nobody here may read, When an alarm changes,
    # Then the decider decides (it never builds a channel) and counts WeChat grants by the configured ids
    ids = {"alarm_raised": "TPL-RAISED"}
    settings = {**_wiring.get_settings().model_dump(), "notify_wechat_templates": json.dumps(ids)}
    _wiring.configure(_wiring.Settings(**settings), clock=FixedClock(T0))
    _notify.reset()
    assert _notify.wechat_template_ids() == ids
    notify_store = _wiring.get_store()
    notify_store.alarms.put(alarm("A1"), expected_version=None)
    assert decide_handler({"Records": [_record("INSERT", "alarm#A1")]}, lambda_context)["decided"] >= 3
    decided = notify_store.outbox.for_alarm("A1")
    # And the sender, which may read it but cannot, logs why (no secret value) and sends nothing: all stay queued
    totals = send_handler({"budget_s": 5}, lambda_context)
    assert totals["sent"] == 0 and totals["failed"] == 0
    assert {n.status.value for n in notify_store.outbox.for_alarm("A1")} == {n.status.value for n in decided}
    assert any("channel settings unusable" in r.getMessage() for r in caplog.records)
    assert unreadable_secret not in caplog.text


def test_malformed_channel_settings_send_nothing_and_crash_nothing(
    notify_store: Store, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Given settings that are not the expected JSON (e.g. a secret still holding a generated random string)
    monkeypatch.delenv("NOTIFY_CHANNELS_FILE", raising=False)
    monkeypatch.setenv("NOTIFY_CHANNELS_JSON", '{"aliyun_sms": {"access_key_id": "x", "access_key_secret": "S3CRET"}}')
    notify_store.alarms.put(alarm("A1"), expected_version=None)
    decide_handler({"Records": [_record("INSERT", "alarm#A1")]}, lambda_context)
    totals = send_handler({"budget_s": 5}, lambda_context)
    assert totals["sent"] == 0 and totals["failed"] == 0
    assert all(n.status.value in ("queued", "unreachable") for n in notify_store.outbox.for_alarm("A1"))
    assert "channel settings unusable" in caplog.text and "aliyun_sms.sign_name: missing" in caplog.text
    assert "S3CRET" not in caplog.text
