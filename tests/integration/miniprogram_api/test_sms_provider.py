"""SMS binding through the notify providers (API_SMS_SENDER=provider) against their loopback stubs: the code
reaches the stub and binds; Aliyun failing over to Tencent; throttled or failing providers answer 429 / 503."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local.provider_stubs.fleet import ProviderStubs
from local.wechat_stub import WeChatStub
from miniprogram_api.chalicelib import wiring
from monitoring.accounts.models import Role
from monitoring.accounts.service import create_account
from monitoring.storage.sqlite import open_store
from tests.integration.miniprogram_api.world import COUNTY, NOW, build_world
from tests.support.api import ApiClient, api_settings, serve, wechat_stub

pytestmark = pytest.mark.integration


@dataclass
class Rig:
    client: ApiClient
    stubs: ProviderStubs
    wechat: WeChatStub
    phones: Iterator[str]

    def ticket_and_phone(self, store_phone: bool = True) -> tuple[str, str]:
        """A fresh registered phone (the per-phone resend interval never interferes) and a binding ticket."""
        phone = next(self.phones)
        openid = f"openid-{phone}"
        reply = self.client.post("/auth/wechat", json_body={"code": self.wechat.issue_code(openid)})
        assert reply.status == 200 and reply.json["status"] == "unbound", reply
        return str(reply.json["binding_ticket"]), phone


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    tmp = Path(tmp_path_factory.mktemp("sms"))
    store = open_store(str(tmp / "api.db"))
    build_world(store)
    phones = [f"1370000{n:04d}" for n in range(100, 120)]
    for i, phone in enumerate(phones):
        create_account(
            store.accounts, NOW, username=f"sms_person_{i}", display_name="企业联系人", role=Role.ENTERPRISE,
            county_id=COUNTY, enterprise_ids=("ent-in",), phone=phone,
        )  # fmt: skip
    with ProviderStubs() as stubs, pytest.MonkeyPatch.context() as env, wechat_stub() as wechat:
        env.setenv("NOTIFY_CHANNELS_JSON", stubs.settings_json())  # as the notify sender reads its providers
        settings = api_settings(wechat_base_url=wechat.base_url, sms_sender="provider")
        with serve(store, settings) as client:
            yield Rig(client, stubs, wechat, iter(phones))
    store.close()


def _code_sent_to(stubs: ProviderStubs, phone: str, provider: str) -> str:
    mine = [r for r in stubs.received() if r.address.endswith(phone)]
    assert mine, "no message reached the provider stubs"
    assert mine[-1].provider == provider and mine[-1].template
    found = re.search(r"验证码(\d{6})，用于绑定工况用电监控小程序，5分钟内有效", mine[-1].text)
    assert found is not None, mine[-1].text
    return found.group(1)


def test_the_code_reaches_aliyun_and_binds(rig: Rig) -> None:
    ticket, phone = rig.ticket_and_phone()
    sent = rig.client.post("/auth/wechat/sms-code", json_body={"binding_ticket": ticket, "phone": phone})
    assert sent.status == 202, sent
    code = _code_sent_to(rig.stubs, phone, "aliyun_sms")
    body = {"binding_ticket": ticket, "phone": phone, "sms_code": code}
    bound = rig.client.post("/auth/wechat/bind-phone", json_body=body)
    assert bound.status == 200 and bound.json["account"]["phone"] == phone, bound


def test_aliyun_failing_hands_the_code_to_tencent(rig: Rig) -> None:
    ticket, phone = rig.ticket_and_phone()
    rig.stubs.aliyun.fail_next("amount")  # the account's balance ran out: this provider cannot send
    sent = rig.client.post("/auth/wechat/sms-code", json_body={"binding_ticket": ticket, "phone": phone})
    assert sent.status == 202, sent
    code = _code_sent_to(rig.stubs, phone, "tencent_sms")
    bound = rig.client.post(
        "/auth/wechat/bind-phone", json_body={"binding_ticket": ticket, "phone": phone, "sms_code": code}
    )
    assert bound.status == 200, bound


def test_throttled_providers_answer_429_with_retry_after(rig: Rig) -> None:
    ticket, phone = rig.ticket_and_phone()
    rig.stubs.aliyun.fail_next("throttle")
    rig.stubs.tencent.fail_next("throttle")
    reply = rig.client.post("/auth/wechat/sms-code", json_body={"binding_ticket": ticket, "phone": phone})
    assert (reply.status, reply.json["code"]) == (429, "sms_provider_throttled"), reply
    assert "频繁" in reply.json["message"] and int(reply.headers["retry-after"]) == 30  # Tencent's 30 s window
    assert not [r for r in rig.stubs.received() if r.address.endswith(phone)]


def test_failing_providers_answer_503(rig: Rig) -> None:
    ticket, phone = rig.ticket_and_phone()
    rig.stubs.aliyun.fail_next("system_error")
    rig.stubs.tencent.fail_next("insufficient")
    reply = rig.client.post("/auth/wechat/sms-code", json_body={"binding_ticket": ticket, "phone": phone})
    assert (reply.status, reply.json["code"]) == (503, "sms_unavailable"), reply
    assert reply.json["message"] == "短信发送失败，请稍后重试"


def test_an_invalid_number_is_not_retried_elsewhere(rig: Rig) -> None:
    ticket, phone = rig.ticket_and_phone()
    rig.stubs.aliyun.fail_next("invalid_number")
    before = len(rig.stubs.tencent.accepted())
    reply = rig.client.post("/auth/wechat/sms-code", json_body={"binding_ticket": ticket, "phone": phone})
    assert (reply.status, reply.json["code"], reply.json["field"]) == (422, "sms_phone_unreachable", "phone")
    assert len(rig.stubs.tencent.accepted()) == before


def test_provider_without_channel_settings_offers_no_sms() -> None:
    assert wiring.provider_sms_sender({}) is None
    assert wiring.provider_sms_sender({"NOTIFY_CHANNELS_JSON": '{"wecom": null}'}) is None
