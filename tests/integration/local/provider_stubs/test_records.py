"""The demo's view of the stubs: a tally line per summary and the settings file the platform reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.provider_stubs.fleet import ProviderStubs
from local.provider_stubs.records import record_to, tally, write_settings
from monitoring.notify.channels.wiring import channels_from_env
from monitoring.notify.ports import ChannelKind, OutgoingMessage

pytestmark = pytest.mark.integration


def test_tally_counts_per_provider_and_shows_the_latest_masked(tmp_path: Path) -> None:
    with ProviderStubs() as stubs:
        assert tally(stubs) == "  通知（模拟服务商）: 尚无"
        write_settings(stubs, tmp_path / "channels.json")
        record_to(stubs, tmp_path / "sent.jsonl")
        channels = channels_from_env({"NOTIFY_CHANNELS_FILE": str(tmp_path / "channels.json")})
        params = {"scope": "如城街道", "day": "2026-12-05", "new": "3", "open": "2", "overdue": "1"}
        for phone in ("13800000001", "13800000002"):
            message = OutgoingMessage(f"k-{phone}", ChannelKind.SMS, phone, "daily_digest", params, "")
            assert channels[ChannelKind.SMS][1].send(message).accepted  # Tencent, the second provider
        line = tally(stubs)
        assert line.startswith("  通知（模拟服务商）: 腾讯云短信 2；最新 [tencent_sms] → 138****0002: ")
        assert "如城街道日报" in line
        assert len((tmp_path / "sent.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_unknown_failures_are_refused_so_a_typo_cannot_pass_silently() -> None:
    with ProviderStubs() as stubs, pytest.raises(ValueError, match="knows no failure"):
        stubs.aliyun.fail_next("throttled")
