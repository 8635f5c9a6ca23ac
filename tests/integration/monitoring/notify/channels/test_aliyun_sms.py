"""Aliyun SMS through the official SDK against the loopback stub: what goes on the wire, each answer's mapping,
receipts, bounded timeouts, secrets and numbers kept out of the logs."""

from __future__ import annotations

import logging
import socket
import time
from datetime import UTC, datetime

import pytest

from local.provider_stubs.fleet import ProviderStubs
from monitoring.notify.channels.aliyun_sms import AliyunSms
from monitoring.notify.channels.settings import AliyunSmsSettings
from monitoring.notify.ports import ChannelKind, SendStatus
from tests.integration.monitoring.notify.channels.conftest import message

pytestmark = pytest.mark.integration
PHONE = "13812341234"


def _client(stubs: ProviderStubs, **changes: object) -> AliyunSms:
    assert stubs.settings.aliyun_sms is not None
    settings = stubs.settings.aliyun_sms
    return AliyunSms(AliyunSmsSettings.model_validate({**settings.model_dump(), **changes}))


def test_accepted_send_carries_sign_template_params_and_the_outbox_key(stubs: ProviderStubs) -> None:
    result = _client(stubs).send(message(ChannelKind.SMS, PHONE, key="outbox-key-1"))
    assert result.status is SendStatus.ACCEPTED and result.provider == "aliyun_sms"
    (got,) = stubs.aliyun.accepted()
    assert got.provider_id == result.provider_id and got.address == PHONE and got.key == "outbox-key-1"
    assert got.params == {"enterprise": "如皋市某某化工有限公司", "time": "2026-12-06 10:00", "rule": "治污设施停运"}
    assert got.text.startswith("【如皋市生态环境局】如皋市某某化工有限公司于2026-12-06 10:00触发报警：治污设施停运。")


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        ("throttle", SendStatus.RETRYABLE, "isv.BUSINESS_LIMIT_CONTROL"),
        ("throttle_day", SendStatus.RETRYABLE, "isv.BUSINESS_LIMIT_CONTROL"),
        ("api_throttle", SendStatus.RETRYABLE, "Throttling.User"),
        ("system_error", SendStatus.RETRYABLE, "isp.SYSTEM_ERROR"),
        ("5xx", SendStatus.RETRYABLE, "ServiceUnavailable"),
        ("invalid_number", SendStatus.PERMANENT, "isv.MOBILE_NUMBER_ILLEGAL"),
        ("invalid_template", SendStatus.PROVIDER_REJECTED, "isv.SMS_TEMPLATE_ILLEGAL"),
        ("missing_params", SendStatus.PROVIDER_REJECTED, "isv.TEMPLATE_MISSING_PARAMETERS"),
        ("amount", SendStatus.PROVIDER_REJECTED, "isv.AMOUNT_NOT_ENOUGH"),
        ("bad_signature", SendStatus.PROVIDER_REJECTED, "SignatureDoesNotMatch"),
        ("bad_key", SendStatus.PROVIDER_REJECTED, "InvalidAccessKeyId.NotFound"),
    ],
)
def test_each_answer_maps_to_what_the_sender_does(
    stubs: ProviderStubs, failure: str, status: SendStatus, code: str
) -> None:
    channel = _client(stubs)
    stubs.aliyun.fail_next(failure)
    result = channel.send(message(ChannelKind.SMS, PHONE))
    assert (result.status, result.code) == (status, code)
    assert stubs.aliyun.accepted() == []
    assert channel.send(message(ChannelKind.SMS, PHONE)).accepted  # the script ran out: the next one goes


def test_flow_control_hints_its_window(stubs: ProviderStubs) -> None:
    channel = _client(stubs)
    stubs.aliyun.fail_next("throttle")
    assert channel.send(message(ChannelKind.SMS, PHONE)).retry_after_s == 60.0
    stubs.aliyun.fail_next("throttle_day")
    assert channel.send(message(ChannelKind.SMS, PHONE)).retry_after_s == 3600.0


def test_the_stub_really_checks_the_signature_and_the_numbers(stubs: ProviderStubs) -> None:
    wrong = _client(stubs, access_key_secret="not-the-secret")
    assert (wrong.send(message(ChannelKind.SMS, PHONE)).code) == "SignatureDoesNotMatch"
    result = _client(stubs).send(message(ChannelKind.SMS, "1381234"))
    assert (result.status, result.code) == (SendStatus.PERMANENT, "isv.MOBILE_NUMBER_ILLEGAL")
    assert _client(stubs, templates={}).send(message(ChannelKind.SMS, PHONE)).code == "template_not_configured"
    assert stubs.aliyun.accepted() == []


def test_the_stubs_per_number_flow_control_is_answered_as_aliyun_does() -> None:
    with ProviderStubs(aliyun_limits=(1, 5, 10)) as stubs:
        channel = _client(stubs)
        assert channel.send(message(ChannelKind.SMS, PHONE)).accepted
        second = channel.send(message(ChannelKind.SMS, PHONE, key="k-2"))
        assert (second.status, second.code, second.retry_after_s) == (
            SendStatus.RETRYABLE,
            "isv.BUSINESS_LIMIT_CONTROL",
            60.0,
        )
        assert channel.send(message(ChannelKind.SMS, "13912341234")).accepted  # another number is not held


def test_a_hung_provider_costs_at_most_the_read_timeout(stubs: ProviderStubs) -> None:
    channel = _client(stubs, read_timeout_s=0.5)
    stubs.aliyun.fail_next("timeout")
    started = time.monotonic()
    result = channel.send(message(ChannelKind.SMS, PHONE))
    assert (result.status, result.code) == (SendStatus.RETRYABLE, "timeout")
    assert time.monotonic() - started < 5.0


def test_a_closed_port_is_a_retryable_network_failure(stubs: ProviderStubs) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = _client(stubs, endpoint=f"127.0.0.1:{port}", connect_timeout_s=0.5).send(message(ChannelKind.SMS, PHONE))
    assert (result.status, result.code) == (SendStatus.RETRYABLE, "network")


def test_receipts_say_delivered_or_not(stubs: ProviderStubs) -> None:
    stubs.aliyun.undeliverable.add("13900000000")
    channel = _client(stubs)
    ok = channel.send(message(ChannelKind.SMS, PHONE))
    bad = channel.send(message(ChannelKind.SMS, "13900000000", key="k-2"))
    now = datetime.now(UTC)
    receipts = channel.receipts([(ok.provider_id, PHONE, now), (bad.provider_id, "13900000000", now)])
    assert [(r.provider_id, r.delivered, r.code) for r in receipts] == [
        (ok.provider_id, True, "DELIVERED"),
        (bad.provider_id, False, "IC:0001"),
    ]
    assert all(r.at.tzinfo is UTC for r in receipts)


def test_secrets_never_and_phone_numbers_only_masked_reach_the_logs(
    stubs: ProviderStubs, caplog: pytest.LogCaptureFixture
) -> None:
    # INFO, the runners' level: urllib3's own DEBUG lines print request URLs (docs/notify.md says so)
    caplog.set_level(logging.INFO)
    channel = _client(stubs)
    for failure in ("throttle", "bad_signature", "invalid_number"):
        stubs.aliyun.fail_next(failure)
        channel.send(message(ChannelKind.SMS, PHONE))
    assert "138****1234" in caplog.text
    assert PHONE not in caplog.text and "stub-secret-aliyun" not in caplog.text
    assert "stub-secret-aliyun" not in repr(stubs.settings)
