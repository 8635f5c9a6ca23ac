"""`python -m local run` tells people: an alarm stored in the data directory reaches the enterprise's contact
through the provider stubs (NOTIFY_CHANNELS_FILE), decided and sent by the notify worker, and the outbox says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from local.provider_stubs.fleet import ProviderStubs
from monitoring.notify.models import Status
from monitoring.storage.sqlite import open_store
from tests.unit.monitoring.notify.world import COUNTY, alarm, populate

ROOT = Path(__file__).resolve().parents[3]


def test_the_notify_worker_sends_an_alarm_to_the_contact_through_the_stubs(tmp_path: Path) -> None:
    data = tmp_path / "county"
    data.mkdir()
    store = open_store(data / "gongkuang.db")
    populate(store)
    raised = datetime.now(UTC)
    store.alarms.put(alarm("A1", created_at=raised), expected_version=None)
    store.close()
    with ProviderStubs() as stubs:
        settings = tmp_path / "channels.json"
        settings.write_text(stubs.settings_json(), encoding="utf-8")
        env = {**os.environ, "NOTIFY_CHANNELS_FILE": str(settings), "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "local", "run", "--data-dir", str(data), "--port", "0", "--api-port", "0"]
        cmd += ["--county-id", COUNTY, "--notify-every-s", "0.5"]
        platform = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not any(r.address == "13800000002" for r in stubs.received()):
                time.sleep(0.2)
            got = [r for r in stubs.received() if r.address == "13800000002"]
        finally:
            platform.send_signal(signal.SIGTERM)
            assert platform.wait(60) == 0
    assert got, "the contact's SMS never reached the Aliyun stub"
    assert got[0].provider == "aliyun_sms" and "如皋某化工" in got[0].text
    assert got[0].at - raised.timestamp() < 60  # within the minute the issue asks for
    store = open_store(data / "gongkuang.db")
    try:
        told = store.outbox.for_alarm("A1")
        mine = next(n for n in told if n.address == "13800000002")
        assert mine.status in (Status.SENT, Status.DELIVERED) and mine.provider_id == got[0].provider_id
        assert got[0].key == mine.key  # the outbox key went to the provider as OutId
    finally:
        store.close()
