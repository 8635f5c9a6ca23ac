"""Tencent Cloud SMS through its official SDK against the loopback stub: parameters in template order, the outbox
key as SessionContext, request-level and per-number codes mapped, a real TC3 signature check, bounded time."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from local.provider_stubs.fleet import ProviderStubs
from monitoring.notify.channels.settings import TencentSmsSettings
from monitoring.notify.channels.tencent_sms import TencentSms
from monitoring.notify.ports import ChannelKind, SendStatus
from tests.integration.monitoring.notify.channels.conftest import message

pytestmark = pytest.mark.integration
PHONE = "13812341234"


def _client(stubs: ProviderStubs, **changes: object) -> TencentSms:
    settings = stubs.settings.tencent_sms
    assert settings is not None
    return TencentSms(TencentSmsSettings.model_validate({**settings.model_dump(), **changes}))


def test_accepted_send_fills_the_template_slots_in_order(stubs: ProviderStubs) -> None:
    result = _client(stubs).send(message(ChannelKind.SMS, PHONE, key="outbox-key-7"))
    assert result.status is SendStatus.ACCEPTED and result.provider_id
    (got,) = stubs.tencent.accepted()
    assert (got.address, got.key) == (PHONE, "outbox-key-7")
    assert got.params == {"1": "如皋市某某化工有限公司", "2": "2026-12-06 10:00", "3": "治污设施停运"}
    assert "如皋市某某化工有限公司于2026-12-06 10:00触发报警：治污设施停运" in got.text


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        ("throttle", SendStatus.RETRYABLE, "LimitExceeded.PhoneNumberThirtySecondLimit"),
        ("throttle_hour", SendStatus.RETRYABLE, "LimitExceeded.PhoneNumberOneHourLimit"),
        ("daily_limit", SendStatus.RETRYABLE, "LimitExceeded.PhoneNumberDailyLimit"),
        ("api_throttle", SendStatus.RETRYABLE, "RequestLimitExceeded"),
        ("internal", SendStatus.RETRYABLE, "InternalError.Timeout"),
        ("5xx", SendStatus.RETRYABLE, "http_5xx"),
        ("invalid_number", SendStatus.PERMANENT, "InvalidParameterValue.IncorrectPhoneNumber"),
        ("invalid_template", SendStatus.PROVIDER_REJECTED, "FailedOperation.TemplateIncorrectOrUnapproved"),
        ("missing_params", SendStatus.PROVIDER_REJECTED, "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"),
        ("insufficient", SendStatus.PROVIDER_REJECTED, "FailedOperation.InsufficientBalanceInSmsPackage"),
        ("bad_signature", SendStatus.PROVIDER_REJECTED, "AuthFailure.SignatureFailure"),
    ],
)
def test_each_answer_maps_to_what_the_sender_does(
    stubs: ProviderStubs, failure: str, status: SendStatus, code: str
) -> None:
    channel = _client(stubs)
    stubs.tencent.fail_next(failure)
    result = channel.send(message(ChannelKind.SMS, PHONE))
    assert (result.status, result.code) == (status, code)
    assert stubs.tencent.accepted() == []
    assert channel.send(message(ChannelKind.SMS, PHONE)).accepted


def test_daily_limit_waits_and_the_stub_checks_signature_and_numbers(stubs: ProviderStubs) -> None:
    stubs.tencent.fail_next("daily_limit")
    assert _client(stubs).send(message(ChannelKind.SMS, PHONE)).retry_after_s == 3600.0
    assert _client(stubs, secret_key="wrong").send(message(ChannelKind.SMS, PHONE)).code == (
        "AuthFailure.SignatureFailure"
    )
    bad = _client(stubs).send(message(ChannelKind.SMS, "12345"))
    assert (bad.status, bad.code) == (SendStatus.PERMANENT, "InvalidParameterValue.IncorrectPhoneNumber")
    assert _client(stubs, templates={}).send(message(ChannelKind.SMS, PHONE)).code == "template_not_configured"
    assert stubs.tencent.accepted() == []


def test_a_hung_provider_costs_at_most_the_timeout(stubs: ProviderStubs) -> None:
    channel = _client(stubs, timeout_s=1)
    stubs.tencent.fail_next("timeout")
    started = time.monotonic()
    result = channel.send(message(ChannelKind.SMS, PHONE))
    assert (result.status, result.code) == (SendStatus.RETRYABLE, "timeout")
    assert time.monotonic() - started < 6.0


def test_status_reports_are_pulled_once_and_kept_until_asked_for(stubs: ProviderStubs) -> None:
    stubs.tencent.undeliverable.add("13900000000")
    channel = _client(stubs)
    ok = channel.send(message(ChannelKind.SMS, PHONE))
    bad = channel.send(message(ChannelKind.SMS, "13900000000", key="k-2"))
    now = datetime.now(UTC)
    first = channel.receipts([(ok.provider_id, PHONE, now)])  # pulls both; answers the one asked about
    assert [(r.provider_id, r.delivered) for r in first] == [(ok.provider_id, True)]
    later = channel.receipts([(bad.provider_id, "13900000000", now)])  # from what was kept: Tencent has no more
    assert [(r.provider_id, r.delivered, r.code, r.address) for r in later] == [
        (bad.provider_id, False, "MK:0001", "13900000000")
    ]
    assert channel.receipts([(ok.provider_id, PHONE, now)]) == []  # each report once
