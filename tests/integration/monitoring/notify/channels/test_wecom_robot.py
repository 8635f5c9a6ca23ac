"""WeCom group robot against the loopback stub: markdown delivered by the robot's name, its 20-a-minute limit
answered 45009 and retried, an unknown key or robot a configuration failure, long text clipped to 4096 bytes."""

from __future__ import annotations

import pytest

from local.provider_stubs.fleet import ProviderStubs
from monitoring.notify.channels.settings import WecomSettings
from monitoring.notify.channels.wecom_robot import WecomRobot, clip
from monitoring.notify.ports import ChannelKind, OutgoingMessage, SendStatus
from tests.integration.monitoring.notify.channels.conftest import message

pytestmark = pytest.mark.integration


def _client(stubs: ProviderStubs) -> WecomRobot:
    assert stubs.settings.wecom is not None
    return WecomRobot(stubs.settings.wecom)


def test_markdown_goes_to_the_named_robot(stubs: ProviderStubs) -> None:
    result = _client(stubs).send(message(ChannelKind.WECOM_ROBOT, "bureau"))
    assert result.status is SendStatus.ACCEPTED
    (got,) = stubs.wecom.accepted()
    assert got.template == "markdown" and got.text.startswith("**工况用电报警**\n> 企业：如皋市某某化工有限公司")


def test_the_21st_message_in_a_minute_is_throttled_and_retryable(stubs: ProviderStubs) -> None:
    channel = _client(stubs)
    results = [channel.send(message(ChannelKind.WECOM_ROBOT, "bureau", key=f"k-{i}")) for i in range(21)]
    assert all(r.accepted for r in results[:20])
    assert (results[20].status, results[20].code, results[20].retry_after_s) == (SendStatus.RETRYABLE, "45009", 60.0)


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        ("throttle", SendStatus.RETRYABLE, "45009"),
        ("busy", SendStatus.RETRYABLE, "-1"),
        ("5xx", SendStatus.RETRYABLE, "http_502"),
        ("invalid_key", SendStatus.PROVIDER_REJECTED, "93000"),
    ],
)
def test_each_answer_maps_to_what_the_sender_does(
    stubs: ProviderStubs, failure: str, status: SendStatus, code: str
) -> None:
    channel = _client(stubs)
    stubs.wecom.fail_next(failure)
    result = channel.send(message(ChannelKind.WECOM_ROBOT, "bureau"))
    assert (result.status, result.code) == (status, code)
    assert channel.send(message(ChannelKind.WECOM_ROBOT, "bureau")).accepted


def test_unknown_robots_and_keys_and_timeouts(stubs: ProviderStubs) -> None:
    assert _client(stubs).send(message(ChannelKind.WECOM_ROBOT, "nobody")).code == "robot_not_configured"
    wrong = WecomRobot(WecomSettings(robots={"bureau": "no-such-key"}, base_url=stubs.wecom.base_url))  # type: ignore[dict-item]
    assert wrong.send(message(ChannelKind.WECOM_ROBOT, "bureau")).code == "93000"
    slow = WecomRobot(WecomSettings(robots={"bureau": "stub-key-bureau"}, base_url=stubs.wecom.base_url, timeout_s=0.5))  # type: ignore[dict-item]
    stubs.wecom.fail_next("timeout")
    assert slow.send(message(ChannelKind.WECOM_ROBOT, "bureau")).code == "timeout"
    assert stubs.wecom.accepted() == []


def test_long_markdown_is_clipped_within_4096_bytes_and_accepted(stubs: ProviderStubs) -> None:
    text = "报警" * 3000
    assert len(clip(text).encode("utf-8")) <= 4096 and clip(text).endswith("…") and clip("短") == "短"
    long = OutgoingMessage("k-long", ChannelKind.WECOM_ROBOT, "bureau", "daily_digest", {}, text)
    assert _client(stubs).send(long).accepted
