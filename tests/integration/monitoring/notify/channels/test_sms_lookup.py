"""Asking the SMS providers whether they already took a message (before repeating a send whose outcome is
unknown): Aliyun QuerySendDetails by number and day matched on OutId, Tencent PullSmsSendStatusByPhoneNumber
matched on SessionContext; both against their loopback stubs, past a page of other messages to the number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.provider_stubs.fleet import ProviderStubs
from monitoring.notify.channels.aliyun_sms import AliyunSms
from monitoring.notify.channels.tencent_sms import TencentSms
from monitoring.notify.ports import ChannelKind, SendLookup, SendStatus
from tests.integration.monitoring.notify.channels.conftest import message

pytestmark = pytest.mark.integration
PHONE = "13812341234"


@pytest.mark.parametrize("which", ["aliyun", "tencent"])
def test_a_message_taken_is_found_by_its_key_and_no_other(stubs: ProviderStubs, which: str) -> None:
    settings = stubs.settings.aliyun_sms if which == "aliyun" else stubs.settings.tencent_sms
    assert settings is not None
    client = AliyunSms(settings) if which == "aliyun" else TencentSms(settings)  # type: ignore[arg-type]
    assert isinstance(client, SendLookup)
    since = datetime.now(UTC) - timedelta(minutes=5)
    target = message(ChannelKind.SMS, PHONE, key="k-target")
    assert client.find_sent(target, since) is None  # nothing sent yet
    assert client.send(target).accepted
    for i in range(60):  # more than a page (Aliyun 50, Tencent 100 would need two: both walk pages)
        assert client.send(message(ChannelKind.SMS, PHONE, key=f"k-other-{i}")).accepted
    assert client.send(message(ChannelKind.SMS, "13900000000", key="k-elsewhere")).accepted
    found = client.find_sent(target, since)
    assert found is not None and found.status is SendStatus.ACCEPTED and found.provider == client.provider
    if which == "tencent":  # Tencent's report names the SerialNo: receipts can follow it
        (sent,) = [r for r in stubs.tencent.accepted() if r.key == "k-target"]
        assert found.provider_id == sent.provider_id
    assert client.find_sent(message(ChannelKind.SMS, PHONE, key="k-never"), since) is None
    # another number's message is not this number's
    assert client.find_sent(message(ChannelKind.SMS, PHONE, key="k-elsewhere"), since) is None
    # a window that starts after the send does not see it (Tencent: by time; Aliyun looks per day, so skip)
    if which == "tencent":
        assert client.find_sent(target, datetime.now(UTC) + timedelta(minutes=1)) is None


def test_a_provider_that_cannot_be_asked_is_no_answer(stubs: ProviderStubs) -> None:
    assert stubs.settings.aliyun_sms is not None
    client = AliyunSms(stubs.settings.aliyun_sms)
    stubs.aliyun.fail_next("5xx")
    assert client.find_sent(message(ChannelKind.SMS, PHONE), datetime.now(UTC)) is None
