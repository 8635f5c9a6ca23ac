"""The handlers' channels (functions._notify.get_channels): the real provider clients, built from the settings the
environment names, reach the loopback stubs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from functions import _notify
from local.provider_stubs.fleet import ProviderStubs
from local.provider_stubs.records import write_settings
from monitoring.notify.ports import ChannelKind, OutgoingMessage

pytestmark = pytest.mark.integration


@pytest.fixture
def fresh() -> Iterator[None]:
    _notify.use_channels(None)
    yield
    _notify.use_channels(None)


def test_channels_from_the_settings_file_send_to_the_stubs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh: None
) -> None:
    with ProviderStubs() as stubs:
        write_settings(stubs, tmp_path / "channels.json")
        monkeypatch.setenv("NOTIFY_CHANNELS_FILE", str(tmp_path / "channels.json"))
        monkeypatch.delenv("NOTIFY_CHANNELS_JSON", raising=False)
        channels = _notify.get_channels()
        assert {k: [c.provider for c in cs] for k, cs in channels.items()} == {
            ChannelKind.SMS: ["aliyun_sms", "tencent_sms"],
            ChannelKind.WECHAT_SUBSCRIBE: ["wechat"],
            ChannelKind.WECOM_ROBOT: ["wecom"],
        }
        robot = OutgoingMessage("k-1", ChannelKind.WECOM_ROBOT, "bureau", "daily_digest", {}, "**如城街道日报**")
        assert channels[ChannelKind.WECOM_ROBOT][0].send(robot).accepted
        assert [r.text for r in stubs.wecom.accepted()] == ["**如城街道日报**"]


def test_no_settings_means_no_channels_not_a_crash(monkeypatch: pytest.MonkeyPatch, fresh: None) -> None:
    for name in ("NOTIFY_CHANNELS_JSON", "NOTIFY_CHANNELS_FILE", "NOTIFY_CHANNELS_SECRET", "NOTIFY_SNS_REGION"):
        monkeypatch.delenv(name, raising=False)
    assert _notify.get_channels() == {}
