"""`python -m local.provider_stubs` as a process: it writes settings the real clients use as they are, prints and
records each message with the number masked, and stops on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitoring.notify.channels import channels_from_env
from monitoring.notify.ports import ChannelKind, OutgoingMessage

pytestmark = pytest.mark.integration


def test_the_stub_process_serves_the_clients_and_records_masked(tmp_path: Path) -> None:
    settings, record = tmp_path / "channels.json", tmp_path / "sent.jsonl"
    cmd = [sys.executable, "-m", "local.provider_stubs", "--settings-out", str(settings), "--record", str(record)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while not settings.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the stubs did not start"
            time.sleep(0.05)
        assert settings.stat().st_mode & 0o077 == 0  # loopback secrets or not: readable by the owner only
        channels = channels_from_env({"NOTIFY_CHANNELS_FILE": str(settings)})
        assert [c.provider for c in channels[ChannelKind.SMS]] == ["aliyun_sms", "tencent_sms"]
        params = {"enterprise": "某化工", "time": "2026-12-06 10:00", "rule": "治污设施停运"}
        sms = OutgoingMessage("k-1", ChannelKind.SMS, "13812341234", "alarm_raised", params, "")
        assert channels[ChannelKind.SMS][0].send(sms).accepted
        robot = OutgoingMessage("k-2", ChannelKind.WECOM_ROBOT, "bureau", "daily_digest", {}, "**日报**")
        assert channels[ChannelKind.WECOM_ROBOT][0].send(robot).accepted
        while not record.exists() or len(record.read_text(encoding="utf-8").splitlines()) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    lines = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    assert [(x["provider"], x["address"]) for x in lines] == [("aliyun_sms", "138****1234"), ("wecom", "stub…")]
    assert "某化工于2026-12-06 10:00触发报警：治污设施停运" in lines[0]["text"]
    assert "138****1234" in out and "13812341234" not in out + record.read_text(encoding="utf-8")
