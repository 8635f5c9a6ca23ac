"""WeChat subscribe messages against the loopback stub: the stable access token fetched once, shared by two
processes, asked again before expiry and after 40001/42001 (one retry), the answers mapped, the data the stub
checks against the field-type limits."""

from __future__ import annotations

import pytest

from local.provider_stubs.fleet import ProviderStubs
from monitoring.notify.channels.settings import WechatSettings
from monitoring.notify.channels.wechat_subscribe import WechatSubscribe
from monitoring.notify.ports import ChannelKind, OutgoingMessage, SendResult, SendStatus
from tests.integration.monitoring.notify.channels.conftest import message

pytestmark = pytest.mark.integration
OPENID = "oAbC-openid-0001"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(stubs: ProviderStubs, clock: Clock | None = None, **changes: object) -> WechatSubscribe:
    settings = stubs.settings.wechat
    assert settings is not None
    merged = WechatSettings.model_validate({**settings.model_dump(), **changes})
    return WechatSubscribe(merged, clock=clock or Clock())


def _send(channel: WechatSubscribe, key: str = "k-1") -> SendResult:
    return channel.send(message(ChannelKind.WECHAT_SUBSCRIBE, OPENID, key=key))


def test_accepted_with_page_and_typed_data_and_one_token_for_many_sends(stubs: ProviderStubs) -> None:
    channel = _client(stubs)
    results = [_send(channel, key=f"k-{i}") for i in range(3)]
    assert all(r.accepted for r in results)
    assert stubs.wechat.tokens_issued == 1
    got = stubs.wechat.accepted()[0]
    assert got.address == OPENID
    assert got.params == {
        "thing1": "如皋市某某化工有限公司",
        "thing2": "治污设施停运",
        "time3": "2026-12-06 10:00",
        "thing4": "请在2小时内说明原因",
    }
    assert got.text.endswith("（pages/enterprise/respond/respond?id=A-1）")


def test_token_is_refreshed_a_margin_before_it_expires(stubs: ProviderStubs) -> None:
    clock = Clock()
    channel = _client(stubs, clock)
    assert _send(channel).accepted
    clock.now += 7200 - 300 - 1  # still outside the 300 s margin
    assert _send(channel).accepted and stubs.wechat.token_requests == 1
    clock.now += 2  # inside it: asked again (the stub's token is still valid, so the same one comes back)
    assert _send(channel).accepted and stubs.wechat.token_requests == 2


def test_two_processes_share_one_stable_token_and_never_invalidate_each_other(stubs: ProviderStubs) -> None:
    # Given two senders of one app (two Lambdas, or a Lambda and the local worker), each with its own cache
    first, second = _client(stubs), _client(stubs)
    assert _send(first, key="k-1").accepted
    # When the second fetches its token, Then it gets the same one: the first's keeps working
    assert _send(second, key="k-2").accepted and _send(first, key="k-3").accepted
    assert first.access_token() == second.access_token()
    assert (stubs.wechat.tokens_issued, stubs.wechat.token_requests) == (1, 2)
    assert len(stubs.wechat.accepted()) == 3


def test_a_token_near_its_end_is_asked_for_again_halfway_not_on_every_send(stubs: ProviderStubs) -> None:
    # The normal mode answers what is left of the current token's life: 200 s, inside the 300 s margin
    stubs.wechat.token_ttl_s = 200
    clock = Clock()
    channel = _client(stubs, clock)
    assert _send(channel, key="k-1").accepted and _send(channel, key="k-2").accepted
    assert stubs.wechat.token_requests == 1
    clock.now += 101  # past half of its 200 s
    assert _send(channel, key="k-3").accepted and stubs.wechat.token_requests == 2


def test_stub_force_refresh_invalidates_the_token_others_hold(stubs: ProviderStubs) -> None:
    # The mode the client never uses, emulated so that a client which did would fail the test above
    import json
    import urllib.request

    channel = _client(stubs)
    assert _send(channel).accepted
    settings = stubs.settings.wechat
    assert settings is not None
    body = {"grant_type": "client_credential", "appid": settings.app_id,
            "secret": settings.app_secret.get_secret_value(), "force_refresh": True}  # fmt: skip
    request = urllib.request.Request(f"{settings.base_url}/cgi-bin/stable_token", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as answer:
        fresh = json.loads(answer.read())["access_token"]
    assert fresh != channel.access_token()
    # the old token now answers 40001; the client asks again (normal mode) and gets the fresh one
    assert _send(channel, key="k-2").accepted and channel.access_token() == fresh


@pytest.mark.parametrize("failure", ["expired_token", "invalid_token"])
def test_an_expired_or_invalid_token_is_refreshed_and_the_send_tried_once_more(
    stubs: ProviderStubs, failure: str
) -> None:
    channel = _client(stubs)
    assert _send(channel).accepted
    stubs.wechat.fail_next(failure)
    assert _send(channel, key="k-2").accepted
    assert stubs.wechat.token_requests == 2
    assert len(stubs.wechat.accepted()) == 2


def test_a_token_refused_twice_is_retryable_not_a_loop(stubs: ProviderStubs) -> None:
    channel = _client(stubs)
    stubs.wechat.fail_next("invalid_token", 2)
    result = _send(channel)
    assert (result.status, result.code) == (SendStatus.RETRYABLE, "token_rejected")
    assert stubs.wechat.token_requests == 2  # the first and one refresh: no more


def test_token_endpoint_failures(stubs: ProviderStubs) -> None:
    stubs.wechat.token_failures = 1
    busy = _send(_client(stubs))
    assert (busy.status, busy.code) == (SendStatus.RETRYABLE, "token_-1")
    wrong = _send(_client(stubs, app_secret="not-the-secret"))
    assert (wrong.status, wrong.code) == (SendStatus.PROVIDER_REJECTED, "token_40125")


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        ("refused", SendStatus.PERMANENT, "43101"),
        ("invalid_data", SendStatus.PERMANENT, "47003"),
        ("invalid_template", SendStatus.PROVIDER_REJECTED, "40037"),
        ("quota", SendStatus.RETRYABLE, "45009"),
        ("busy", SendStatus.RETRYABLE, "-1"),
        ("5xx", SendStatus.RETRYABLE, "http_503"),
    ],
)
def test_each_answer_maps_to_what_the_sender_does(
    stubs: ProviderStubs, failure: str, status: SendStatus, code: str
) -> None:
    channel = _client(stubs)
    stubs.wechat.fail_next(failure)
    result = _send(channel)
    assert (result.status, result.code) == (status, code)
    assert _send(channel).accepted


def test_a_person_who_did_not_subscribe_is_permanent_for_that_message() -> None:
    with ProviderStubs(subscribed={OPENID: ["alarm_raised"]}) as stubs:
        channel = _client(stubs)
        assert _send(channel).accepted
        again = _send(channel, key="k-2")  # one subscription, one message
        assert (again.status, again.code) == (SendStatus.PERMANENT, "43101")


def test_the_stub_holds_data_to_the_field_type_limits(stubs: ProviderStubs) -> None:
    too_long = OutgoingMessage(
        "k-9",
        ChannelKind.WECHAT_SUBSCRIBE,
        OPENID,
        "alarm_raised",
        {"thing1": "字" * 21, "thing2": "x", "time3": "2026-12-06 10:00", "thing4": "y"},
        "",
        "pages/enterprise/alarms/alarms",
    )
    result = _client(stubs).send(too_long)
    assert (result.status, result.code) == (SendStatus.PERMANENT, "47003")
    bad_time = OutgoingMessage(
        "k-9",
        ChannelKind.WECHAT_SUBSCRIBE,
        OPENID,
        "alarm_raised",
        {"thing1": "a", "thing2": "b", "time3": "昨天", "thing4": "c"},
        "",
        "pages/enterprise/alarms/alarms",
    )
    assert _client(stubs).send(bad_time).code == "47003"
    assert _client(stubs, templates={}).send(too_long).code == "template_not_configured"


def test_a_page_the_mini_program_does_not_declare_is_refused_41030(stubs: ProviderStubs) -> None:
    good = message(ChannelKind.WECHAT_SUBSCRIBE, OPENID)
    assert _client(stubs).send(good).accepted
    bad = OutgoingMessage(good.key, good.kind, good.address, good.template, good.params, "", "pages/alarm/detail?id=A")
    result = _client(stubs).send(bad)
    assert (result.status, result.code) == (SendStatus.PROVIDER_REJECTED, "41030")


def test_a_hung_provider_costs_at_most_the_timeout(stubs: ProviderStubs) -> None:
    channel = _client(stubs, timeout_s=0.5)
    assert _send(channel).accepted
    stubs.wechat.fail_next("timeout")
    result = _send(channel)
    assert (result.status, result.code) == (SendStatus.RETRYABLE, "timeout")
