"""A provider (or a gateway before it) answering 200 with an HTML page: every client reports a retryable failure,
never an acceptance and never an exception; the next, proper answer goes through."""

from __future__ import annotations

import pytest

from local.provider_stubs.base import StubServer
from local.provider_stubs.fleet import ProviderStubs
from monitoring.notify.channels.wiring import build_channels
from monitoring.notify.ports import ChannelKind, SendStatus
from tests.integration.monitoring.notify.channels.conftest import message

pytestmark = pytest.mark.integration
CASES = [
    ("aliyun_sms", ChannelKind.SMS, "13812341234"),
    ("tencent_sms", ChannelKind.SMS, "13812341234"),
    ("wechat", ChannelKind.WECHAT_SUBSCRIBE, "oAbC-openid-0001"),
    ("wecom", ChannelKind.WECOM_ROBOT, "bureau"),
]


@pytest.mark.parametrize(("provider", "kind", "address"), CASES, ids=[c[0] for c in CASES])
def test_an_html_page_instead_of_json_is_retryable(
    stubs: ProviderStubs, provider: str, kind: ChannelKind, address: str
) -> None:
    (channel,) = [c for c in build_channels(stubs.settings)[kind] if c.provider == provider]
    (stub,) = [s for s in stubs.all if s.provider == provider]
    assert isinstance(stub, StubServer)
    stub.fail_next("garbage")
    result = channel.send(message(kind, address))
    assert result.status is SendStatus.RETRYABLE and result.code, result
    assert stub.accepted() == []
    assert channel.send(message(kind, address)).accepted
